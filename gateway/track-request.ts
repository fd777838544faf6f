/** A tracked event's envelope in the Segment style, as accepted by `POST /v1/track`. */
export interface TrackedEvent {
  event: string
  messageId: string
  accountId: string
  userId?: string
  timestamp: string
  properties: Record<string, unknown>
}

export type ParseResult = { ok: true; event: TrackedEvent } | { ok: false; reason: string }

const ENVELOPE_FIELDS = ['event', 'messageId', 'accountId', 'userId', 'timestamp', 'properties']
const MAX_ID_LENGTH = 255
// ISO-8601 date-time with an explicit zone, as Segment and CloudEvents (RFC 3339) expect.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** Pure: checks the envelope; the properties are checked against the event's schema afterwards. */
export function parseTrackRequest(body: unknown): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'the body must be a JSON object' }
  }
  const b = body as Record<string, unknown>
  const unknown = Object.keys(b).filter((k) => !ENVELOPE_FIELDS.includes(k))
  if (unknown.length) {
    return { ok: false, reason: `unknown envelope field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${ENVELOPE_FIELDS.join(', ')}` }
  }
  for (const field of ['event', 'messageId', 'accountId', 'timestamp'] as const) {
    const v = b[field]
    if (v === undefined || v === null) return { ok: false, reason: `"${field}" is required` }
    if (typeof v !== 'string') return { ok: false, reason: `"${field}" must be a string, got ${typeName(v)}` }
    if (v.length === 0) return { ok: false, reason: `"${field}" must not be empty` }
    if (v.length > MAX_ID_LENGTH && field !== 'timestamp') return { ok: false, reason: `"${field}" must be at most ${MAX_ID_LENGTH} characters` }
  }
  if (b.userId !== undefined && b.userId !== null) {
    if (typeof b.userId !== 'string' || b.userId.length === 0 || b.userId.length > MAX_ID_LENGTH) {
      return { ok: false, reason: `"userId" must be a non-empty string of at most ${MAX_ID_LENGTH} characters when present, got ${typeName(b.userId)}` }
    }
  }
  const timestamp = b.timestamp as string
  if (!ISO_TIMESTAMP.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    return { ok: false, reason: `"timestamp" must be an ISO-8601 date-time with a zone, e.g. 2026-01-31T12:00:00.000Z; got ${JSON.stringify(timestamp)}` }
  }
  const properties = b.properties ?? {}
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return { ok: false, reason: `"properties" must be a JSON object, got ${typeName(b.properties)}` }
  }
  return {
    ok: true,
    event: {
      event: b.event as string,
      messageId: b.messageId as string,
      accountId: b.accountId as string,
      userId: (b.userId as string | null | undefined) ?? undefined,
      timestamp: new Date(timestamp).toISOString(),
      properties: properties as Record<string, unknown>,
    },
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}
