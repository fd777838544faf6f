import crypto from 'node:crypto'

/**
 * Webhook signatures as Stripe signs them, so a receiver can reuse what it already knows:
 * `Pulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is inside
 * the signed text, so a captured delivery cannot be replayed later with a new time; several `v1` entries let a
 * secret be rotated (the old and the new both sign for a while).
 */
export const SIGNATURE_HEADER = 'Pulse-Signature'

/** Five minutes, Stripe's default: long enough for clock skew and retries in flight, short for replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300

function hmac(secret: string, timestamp: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')
}

/** The header value for `body` (the exact bytes sent) signed with each secret at `timestamp` (unix seconds). */
export function signatureHeader(body: string, secrets: string[], timestamp: number): string {
  if (!secrets.length) throw new Error('a webhook signature needs at least one secret')
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${hmac(s, timestamp, body)}`)].join(',')
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string }

/**
 * What a receiver does: parse the header, check the time is within `toleranceSeconds` of `now`, and compare
 * every `v1` with the expected HMAC in constant time. The reason says which step failed.
 */
export function verifySignature(header: string | undefined, body: string, secret: string, now: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): SignatureCheck {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` }
  const parts = header.split(',').map((p) => p.trim().split('='))
  const t = parts.find(([k]) => k === 't')?.[1]
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v)
  if (!t || !/^\d+$/.test(t)) return { ok: false, reason: 'no timestamp (t=<unix seconds>) in the header' }
  if (!signatures.length) return { ok: false, reason: 'no v1 signature in the header' }
  const timestamp = Number(t)
  if (Math.abs(Math.floor(now / 1000) - timestamp) > toleranceSeconds) return { ok: false, reason: `timestamp ${timestamp} is more than ${toleranceSeconds} s from now` }
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex')
  const matches = signatures.some((s) => /^[0-9a-f]{64}$/.test(s) && crypto.timingSafeEqual(Buffer.from(s, 'hex'), expected))
  return matches ? { ok: true, timestamp } : { ok: false, reason: 'no v1 signature matches the body with this secret' }
}
