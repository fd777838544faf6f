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
const ENVELOPE_FIELD_SET = new Set(ENVELOPE_FIELDS)
const MAX_ID_LENGTH = 255
// ISO-8601 date-time with an explicit zone, as Segment and CloudEvents (RFC 3339) expect.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

function invalid(reason: string): ParseResult {
  return { ok: false, error: 'invalid_envelope', reason }
}

/**
 * Pure: checks the envelope and the limits; the properties are checked against the event's schema afterwards.
 * Runs once per event on the gateway's hot path: no closures or per-field strings unless something is wrong.
 */
export function parseTrackRequest(body: unknown, limits: EnvelopeLimits = DEFAULT_LIMITS, now = Date.now()): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('an event must be a JSON object')
  }
  const b = body as Record<string, unknown>
  let unknown: string[] | undefined
  for (const k in b) if (!ENVELOPE_FIELD_SET.has(k)) (unknown ??= []).push(k)
  if (unknown) {
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
  const at = ISO_TIMESTAMP.test(timestamp) ? Date.parse(timestamp) : NaN
  if (Number.isNaN(at)) {
    return invalid(`"timestamp" must be an ISO-8601 date-time with a zone, e.g. 2026-01-31T12:00:00.000Z; got ${JSON.stringify(timestamp)}`)
  }
  if (at < now - limits.maxPastMs || at > now + limits.maxFutureMs) {
    return {
      ok: false,
      error: 'timestamp_out_of_range',
      reason: Number.isFinite(limits.maxPastMs)
        ? `"timestamp" ${timestamp} is outside the accepted window: at most ${duration(limits.maxPastMs)} in the past and ${duration(limits.maxFutureMs)} in the future`
        : `"timestamp" ${timestamp} is more than ${duration(limits.maxFutureMs)} in the future`,
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
  const tooBig = exceedsLimits(properties, 1, limits)
  if (tooBig) return { ok: false, error: 'limit_exceeded', reason: `${['properties', ...tooBig.path.reverse()].join('.')}: ${tooBig.problem}` }
  return {
    ok: true,
    event: {
      event: b.event as string,
      messageId: b.messageId as string,
      accountId: b.accountId as string,
      userId: (b.userId as string | null | undefined) ?? undefined,
      timestamp: new Date(at).toISOString(),
      ...(typeof version === 'number' ? { schemaVersion: version } : {}),
      properties: properties as Record<string, unknown>,
    },
  }
}

/**
 * The first place where `value` nests too deep or holds too long a string: its path (innermost key first,
 * built only on the way out of a failure) and what is wrong; undefined if none.
 */
function exceedsLimits(value: unknown, depth: number, limits: EnvelopeLimits): { path: string[]; problem: string } | undefined {
  if (typeof value === 'string') {
    return value.length > limits.maxStringLength ? { path: [], problem: `string of ${value.length} characters exceeds the limit of ${limits.maxStringLength}` } : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  if (depth > limits.maxDepth) return { path: [], problem: `nested ${depth} levels deep, the limit is ${limits.maxDepth}` }
  for (const k in value) {
    const found = exceedsLimits((value as Record<string, unknown>)[k], depth + 1, limits)
    if (found) {
      found.path.push(k)
      return found
    }
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
