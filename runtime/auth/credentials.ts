/**
 * What a request presents in its Authorization header. Pulse's own clients send `Bearer <secret>`; Confluent's
 * schema-registry clients send `Basic base64(name:secret)` (`basic.auth.user.info`), so every surface takes both.
 * Segment's and RudderStack's libraries send their write key as the Basic user name with an empty password
 * (`Basic base64(<writeKey>:)`): that is a `WriteKey`, the secret alone, like a Bearer token.
 */
export type Credentials = { scheme: 'Bearer'; secret: string } | { scheme: 'Basic'; name: string; secret: string } | { scheme: 'WriteKey'; secret: string }

/** The credentials of an Authorization header; undefined when it is absent or in neither scheme. */
export function readAuthorization(header: string | undefined): Credentials | undefined {
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header ?? '')
  if (!m) return undefined
  if (m[1].toLowerCase() === 'bearer') return { scheme: 'Bearer', secret: m[2] }
  const decoded = Buffer.from(m[2], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 1) return undefined
  // `<writeKey>:` — the user name is the secret; no key has an empty secret, so this reads no Basic pair differently.
  if (colon === decoded.length - 1) return { scheme: 'WriteKey', secret: decoded.slice(0, colon) }
  return { scheme: 'Basic', name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}

/** The Authorization header value for a key's secret. */
export function bearer(secret: string): string {
  return `Bearer ${secret}`
}

/** The Authorization header value Segment's and RudderStack's libraries send for a write key. */
export function writeKeyBasic(secret: string): string {
  return `Basic ${Buffer.from(`${secret}:`, 'utf8').toString('base64')}`
}

/** The Authorization header value for Confluent's `basic.auth.user.info` (`name:secret`). */
export function basic(userInfo: string): string {
  return `Basic ${Buffer.from(userInfo, 'utf8').toString('base64')}`
}
