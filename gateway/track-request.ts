/** A tracked event's envelope in the Segment style, as accepted by `POST /v1/track` and `/v1/batch`. */
export interface TrackedEvent {
  event: string
  messageId: string
  accountId: string
  userId?: string
  timestamp: string
  /** The schema version to validate and encode with; absent means the latest. */
  schemaVersion?: number
  properties: Record<string, unknown>
}

export type EnvelopeError = 'invalid_envelope' | 'timestamp_out_of_range' | 'limit_exceeded'
export type ParseResult = { ok: true; event: TrackedEvent } | { ok: false; error: EnvelopeError; reason: string }

export interface EnvelopeLimits {
  /** How far in the past a timestamp may lie. */
  maxPastMs: number
  /** How far in the future a timestamp may lie (clock skew). */
  maxFutureMs: number
  /** Nesting depth of `properties` (the properties object itself is depth 1). */
  maxDepth: number
  /** Length of any string inside `properties`, in UTF-16 code units. */
  maxStringLength: number
}

export const DEFAULT_LIMITS: EnvelopeLimits = { maxPastMs: 30 * 86_400_000, maxFutureMs: 3_600_000, maxDepth: 8, maxStringLength: 8192 }

const ENVELOPE_FIELDS = ['event', 'messageId', 'accountId', 'userId', 'timestamp', 'schemaVersion', 'properties']
const MAX_ID_LENGTH = 255
// ISO-8601 date-time with an explicit zone, as Segment and CloudEvents (RFC 3339) expect.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** Pure: checks the envelope and the limits; the properties are checked against the event's schema afterwards. */
export function parseTrackRequest(body: unknown, limits: EnvelopeLimits = DEFAULT_LIMITS, now = Date.now()): ParseResult {
  const invalid = (reason: string): ParseResult => ({ ok: false, error: 'invalid_envelope', reason })
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('an event must be a JSON object')
  }
  const b = body as Record<string, unknown>
  const unknown = Object.keys(b).filter((k) => !ENVELOPE_FIELDS.includes(k))
  if (unknown.length) {
    return invalid(`unknown envelope field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${ENVELOPE_FIELDS.join(', ')}`)
  }
  for (const field of ['event', 'messageId', 'accountId', 'timestamp'] as const) {
    const v = b[field]
    if (v === undefined || v === null) return invalid(`"${field}" is required`)
    if (typeof v !== 'string') return invalid(`"${field}" must be a string, got ${typeName(v)}`)
    if (v.length === 0) return invalid(`"${field}" must not be empty`)
    if (v.length > MAX_ID_LENGTH) return invalid(`"${field}" must be at most ${MAX_ID_LENGTH} characters`)
  }
  if (b.userId !== undefined && b.userId !== null) {
    if (typeof b.userId !== 'string' || b.userId.length === 0 || b.userId.length > MAX_ID_LENGTH) {
      return invalid(`"userId" must be a non-empty string of at most ${MAX_ID_LENGTH} characters when present, got ${typeName(b.userId)}`)
    }
  }
  const timestamp = b.timestamp as string
  if (!ISO_TIMESTAMP.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    return invalid(`"timestamp" must be an ISO-8601 date-time with a zone, e.g. 2026-01-31T12:00:00.000Z; got ${JSON.stringify(timestamp)}`)
  }
  const at = Date.parse(timestamp)
  if (at < now - limits.maxPastMs || at > now + limits.maxFutureMs) {
    return {
      ok: false,
      error: 'timestamp_out_of_range',
      reason: `"timestamp" ${timestamp} is outside the accepted window: at most ${duration(limits.maxPastMs)} in the past and ${duration(limits.maxFutureMs)} in the future`,
    }
  }
  const version = b.schemaVersion
  if (version !== undefined && version !== null && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
    return invalid(`"schemaVersion" must be a positive integer when present, got ${JSON.stringify(version)}`)
  }
  const properties = b.properties ?? {}
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return invalid(`"properties" must be a JSON object, got ${typeName(b.properties)}`)
  }
  const tooBig = exceedsLimits(properties, 'properties', 1, limits)
  if (tooBig) return { ok: false, error: 'limit_exceeded', reason: tooBig }
  return {
    ok: true,
    event: {
      event: b.event as string,
      messageId: b.messageId as string,
      accountId: b.accountId as string,
      userId: (b.userId as string | null | undefined) ?? undefined,
      timestamp: new Date(timestamp).toISOString(),
      ...(typeof version === 'number' ? { schemaVersion: version } : {}),
      properties: properties as Record<string, unknown>,
    },
  }
}

/** The first place where `value` nests too deep or holds too long a string, described; undefined if none. */
function exceedsLimits(value: unknown, path: string, depth: number, limits: EnvelopeLimits): string | undefined {
  if (typeof value === 'string') {
    return value.length > limits.maxStringLength ? `${path}: string of ${value.length} characters exceeds the limit of ${limits.maxStringLength}` : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  if (depth > limits.maxDepth) return `${path}: nested ${depth} levels deep, the limit is ${limits.maxDepth}`
  for (const [k, v] of Object.entries(value)) {
    const found = exceedsLimits(v, `${path}.${k}`, depth + 1, limits)
    if (found) return found
  }
  return undefined
}

function duration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`
  return `${Math.round(ms / 1000)} s`
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}
