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
// An RFC 3339 date-time (OpenAPI's and JSON Schema's `date-time`), as Segment and CloudEvents expect: seconds,
// any fraction, and a zone (`Z` or ±hh:mm); `T` and `Z` in either case.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

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
    if (v.length > MAX_ID_LENGTH && characters(v) > MAX_ID_LENGTH) return invalid(`"${field}" must be at most ${MAX_ID_LENGTH} characters, got ${characters(v)}`)
  }
  if (b.userId !== undefined && b.userId !== null) {
    const u = b.userId
    if (typeof u !== 'string' || u.length === 0 || (u.length > MAX_ID_LENGTH && characters(u) > MAX_ID_LENGTH)) {
      const got = typeof u === 'string' ? (u.length === 0 ? 'an empty string' : `${characters(u)} characters`) : typeName(u)
      return invalid(`"userId" must be null or a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${got}`)
    }
  }
  const timestamp = b.timestamp as string
  const at = parseTimestamp(timestamp)
  if (at === undefined) {
    return invalid(`"timestamp" must be an RFC 3339 date-time (ISO-8601 with seconds and a zone, a real calendar date and time), e.g. 2026-01-31T12:00:00.000Z or 2026-01-31T13:00:00+01:00; got ${JSON.stringify(timestamp)}`)
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
    // A string has at most as many characters as UTF-16 units: only a long one needs counting.
    if (value.length <= limits.maxStringLength) return undefined
    const n = characters(value)
    return n > limits.maxStringLength ? { path: [], problem: `string of ${n} characters exceeds the limit of ${limits.maxStringLength}` } : undefined
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

/** Characters as JSON Schema's maxLength counts them: Unicode code points, not UTF-16 units. */
function characters(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * Epoch ms of an RFC 3339 date-time, or undefined when it is not one: the calendar is checked (no
 * February 30, no hour 24), and a leap second is only :60 at 23:59 UTC (counted as the second before it).
 */
export function parseTimestamp(s: string): number | undefined {
  const m = RFC3339.exec(s)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number)
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return undefined
  if (hour > 23 || minute > 59 || second > 60) return undefined
  const offsetMinutes = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0
  if (m[8] && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, Math.min(second, 59), m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0)
  const at = date.getTime() - offsetMinutes * 60_000
  if (second === 60) {
    const utc = new Date(at)
    if (utc.getUTCHours() !== 23 || utc.getUTCMinutes() !== 59) return undefined
  }
  return at
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
