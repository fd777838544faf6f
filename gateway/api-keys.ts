import crypto from 'node:crypto'

/**
 * Resolves `Authorization: Bearer <secret>` to the key's name. Secrets are compared as SHA-256 digests
 * with timingSafeEqual, so neither length nor content leaks through response time.
 */
export function createAuthenticator(keys: Map<string, string>): (authorization: string | undefined) => string | undefined {
  const digests = [...keys].map(([name, secret]) => ({ name, digest: sha256(secret) }))
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!m) return undefined
    const offered = sha256(m[1])
    let found: string | undefined
    for (const k of digests) if (crypto.timingSafeEqual(k.digest, offered)) found = k.name
    return found
  }
}

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest()
}

/** A fresh development key, printed by `pulse dev` when PULSE_API_KEYS is unset. */
export function generateApiKey(name = 'dev'): { name: string; secret: string } {
  return { name, secret: `pk_${crypto.randomBytes(18).toString('base64url')}` }
}
