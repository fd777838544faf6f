import crypto from 'node:crypto'
import { parseTimestamp } from '../track-request.js'
import type { Violation } from '../violations.js'
import { groupTraits, identifyTraits } from './traits.js'

/**
 * Pure: one message of Segment's HTTP Tracking API (what `@segment/analytics-node`, `segment-analytics-python`
 * and RudderStack's libraries send) read as Pulse's own envelope, which the gateway then checks exactly like an
 * event sent in Pulse's shape: the same envelope limits, schema validation, drift records, deduplication.
 */

export const SEGMENT_TYPES = ['track', 'identify', 'group', 'page', 'screen', 'alias'] as const
export type SegmentType = (typeof SEGMENT_TYPES)[number]

/** Segment's limit for one message, in bytes of JSON; its libraries refuse larger ones before sending. */
export const MAX_MESSAGE_BYTES = 32 * 1024

/** The account when `context.groupId` is absent: these dot paths into the message, tried in order. */
export const DEFAULT_ACCOUNT_PATHS = ['properties.accountId', 'traits.accountId', 'context.traits.accountId']

export type SegmentError = 'invalid_envelope' | 'unmapped_account' | 'unsupported_type' | 'message_too_large'

/** Pulse's envelope, as `parseTrackRequest` reads it. */
export interface PulseBody {
  event: string
  messageId: string
  accountId: string
  userId?: string
  timestamp: string
  properties: unknown
}

export type Translation =
  | { ok: true; type: SegmentType; body: PulseBody; warnings?: Violation[] }
  | {
      ok: false
      type: string
      /** The catalog event the message was for, or `segment.<type>` when there is none: the drift record's subject. */
      subject: string
      messageId?: string
      error: SegmentError
      /** Where and what, for the drift record. */
      path: string
      expected: string
      actual: string
      message: string
    }

export interface TranslateOptions {
  /** DEFAULT_ACCOUNT_PATHS unless configured (PULSE_SEGMENT_ACCOUNT_PATH), each split at its dots. */
  accountPaths: readonly (readonly string[])[]
  /** The type the endpoint implies (`/v1/identify` → identify); a message's own `type` must agree with it. */
  impliedType?: SegmentType
  /** When the gateway received the request (epoch ms): Segment's receivedAt. */
  receivedAt: number
  /** Whether the message may be over MAX_MESSAGE_BYTES (false when the whole request is smaller). */
  checkSize?: boolean
  /** Epoch ms of the batch's `sentAt`, for messages without one of their own. */
  batchSentAt?: number
  /** The batch's `context` (Segment applies it to every message of the batch): its groupId names the account when a message's does not. */
  batchContext?: Record<string, unknown>
}

/**
 * Fields only Segment's shape has. A body with any of them is a Segment message; Pulse's envelope has none of
 * them (it refuses unknown fields), so reading them this way changes nothing Pulse's own producers send.
 */
export function isSegmentMessage(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  const b = body as Record<string, unknown>
  return b.type !== undefined || b.anonymousId !== undefined || b.context !== undefined || b.integrations !== undefined || b._metadata !== undefined || b.originalTimestamp !== undefined || b.sentAt !== undefined || b.traits !== undefined
}

/** Reads one Segment message; never throws. */
export function translateSegment(raw: unknown, opts: TranslateOptions): Translation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return refuse(opts.impliedType ?? '(none)', undefined, 'invalid_envelope', '', 'a JSON object', typeName(raw), 'a message must be a JSON object')
  }
  const m = raw as Record<string, unknown>
  const type = m.type ?? opts.impliedType
  const messageId = typeof m.messageId === 'string' && m.messageId ? m.messageId : undefined
  if (opts.impliedType && m.type !== undefined && m.type !== opts.impliedType) {
    return refuse(opts.impliedType, messageId, 'invalid_envelope', 'type', JSON.stringify(opts.impliedType), String(m.type), `"type" is ${JSON.stringify(m.type)}, but this endpoint takes ${opts.impliedType} calls`)
  }
  if (typeof type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
    return refuse('(unknown)', messageId, 'invalid_envelope', 'type', SEGMENT_TYPES.join(' | '), typeof type === 'string' ? `string ${JSON.stringify(type.slice(0, 40))}` : typeName(type), `"type" must be one of ${SEGMENT_TYPES.join(', ')}; got ${JSON.stringify(type)}`)
  }
  const t = type as SegmentType
  const subject = subjectOf(t, m)
  const who: Who = { subject, messageId, type: t }

  // Measured exactly only when a cheap upper bound says it might be too large: nearly no message is.
  if (opts.checkSize && jsonBytesAtMost(m, MAX_MESSAGE_BYTES) === undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(m))
    if (bytes > MAX_MESSAGE_BYTES) return no(who, 'message_too_large', '', `at most ${MAX_MESSAGE_BYTES} bytes`, `${bytes} bytes`, `the message is ${bytes} bytes of JSON; Segment's limit, which Pulse keeps, is 32 KB per message`)
  }
  if (t === 'page' || t === 'screen' || t === 'alias') {
    return no(who, 'unsupported_type', 'type', 'track | identify | group', t, `Pulse stores no ${t} calls: the event catalog has no event for them (it tracks accounts' use of the product, not views or identity merges); the call is refused and counted, not silently dropped`)
  }
  if (m.messageId !== undefined && m.messageId !== null && messageId === undefined) {
    return no(who, 'invalid_envelope', 'messageId', 'a non-empty string', typeName(m.messageId), `"messageId" must be a non-empty string, got ${typeName(m.messageId)}`)
  }
  const userId = id(m.userId)
  const anonymousId = id(m.anonymousId)
  if (userId === undefined && anonymousId === undefined) {
    return no(who, 'invalid_envelope', 'userId', 'userId or anonymousId', 'missing', 'a message needs a userId or an anonymousId (Segment\'s no_user_anon_id)')
  }
  if (t === 'identify' && userId === undefined) {
    return no(who, 'invalid_envelope', 'userId', 'a userId', 'missing', 'an identify call needs a userId: Pulse keeps traits per known user, and an anonymousId names none')
  }
  if (m.context !== undefined && m.context !== null && !isObject(m.context)) {
    return no(who, 'invalid_envelope', 'context', 'a JSON object', typeName(m.context), `"context" must be a JSON object, got ${typeName(m.context)}`)
  }

  // Segment's clock correction: timestamp = receivedAt − (sentAt − originalTimestamp), so a producer's skewed clock
  // moves nothing; `timestamp` stands in for originalTimestamp when only it is sent (what server libraries send).
  let at = opts.receivedAt
  const stamps: Record<string, number | undefined> = {}
  for (const field of ['originalTimestamp', 'timestamp', 'sentAt'] as const) {
    const v = m[field]
    if (v === undefined || v === null) continue
    const parsed = typeof v === 'string' ? parseTimestamp(v) : undefined
    if (parsed === undefined) {
      return no(who, 'invalid_envelope', field, 'an RFC 3339 date-time', typeof v === 'string' ? `string ${JSON.stringify(v.slice(0, 40))}` : typeName(v), `"${field}" must be an RFC 3339 date-time (ISO-8601 with seconds and a zone), got ${JSON.stringify(v)}`)
    }
    stamps[field] = parsed
  }
  const happened = stamps.originalTimestamp ?? stamps.timestamp
  const sentAt = stamps.sentAt ?? opts.batchSentAt
  if (happened !== undefined) at = sentAt !== undefined ? opts.receivedAt - (sentAt - happened) : happened

  // The account: Segment's B2B convention (context.groupId), the group call's own groupId, else the configured paths.
  const context = m.context as Record<string, unknown> | undefined
  let accountId: string | undefined
  let from: readonly string[] | undefined
  if (t === 'group') {
    accountId = id(m.groupId)
    if (accountId === undefined) return no(who, 'invalid_envelope', 'groupId', 'the account id', 'missing', 'a group call needs a groupId: the account whose traits these are')
  } else {
    accountId = id(context?.groupId) ?? id(opts.batchContext?.groupId)
    if (accountId === undefined) {
      for (const path of opts.accountPaths) {
        accountId = id(at_(m, path))
        if (accountId !== undefined) {
          from = path
          break
        }
      }
    }
    if (accountId === undefined) {
      const where = ['context.groupId', ...opts.accountPaths.map((p) => p.join('.'))].join(', ')
      return no(who, 'unmapped_account', 'context.groupId', `the account id in ${where}`, 'missing', `no account for this ${t} call: Pulse reads it from ${where} (PULSE_SEGMENT_ACCOUNT_PATH); send the account as context.groupId`)
    }
  }

  let properties: unknown
  let warnings: Violation[] | undefined
  if (t === 'track') {
    if (typeof m.event !== 'string' || !m.event) return no(who, 'invalid_envelope', 'event', 'the name of a catalog event', typeName(m.event), 'a track call needs "event": the name of a catalog event')
    properties = from?.[0] === 'properties' ? without(m.properties, from.slice(1)) : m.properties
  } else {
    const sent = (from?.[0] === 'traits' ? without(m.traits, from.slice(1)) : m.traits) ?? {}
    if (!isObject(sent)) return no(who, 'invalid_envelope', 'traits', 'a JSON object', typeName(sent), `"traits" must be a JSON object, got ${typeName(sent)}`)
    let traits = sent
    // RudderStack's libraries send an identify call's traits as context.traits; Segment's top-level traits win.
    if (t === 'identify' && isObject(context?.traits)) {
      const fromContext = from?.[0] === 'context' && from[1] === 'traits' ? (without(context.traits, from.slice(2)) as Record<string, unknown>) : context.traits
      traits = { ...fromContext, ...traits }
    }
    if (t === 'identify') properties = identifyTraits(traits)
    else {
      const mapped = groupTraits(traits)
      properties = mapped.properties
      if (mapped.unknown.length) warnings = mapped.unknown
    }
  }
  const body: PulseBody = {
    event: subject,
    messageId: messageId ?? derivedMessageId(m),
    accountId,
    ...(userId !== undefined ? { userId } : {}),
    timestamp: Number.isFinite(at) ? new Date(at).toISOString() : String(m.timestamp),
    properties,
  }
  return warnings ? { ok: true, type: t, body, warnings } : { ok: true, type: t, body }
}

function subjectOf(t: SegmentType, m: Record<string, unknown>): string {
  switch (t) {
    case 'track':
      return typeof m.event === 'string' && m.event ? m.event : '(none)'
    case 'identify':
      return 'user_identified'
    case 'group':
      return 'account_updated'
    default:
      return `segment.${t}`
  }
}

interface Who {
  subject: string
  messageId: string | undefined
  type: string
}

// Top-level rather than a closure per message: the gateway reads every Segment message through here.
function no(who: Who, error: SegmentError, path: string, expected: string, actual: string, message: string): Translation {
  return refuse(who.subject, who.messageId, error, path, expected, actual, message, who.type)
}

function refuse(subject: string, messageId: string | undefined, error: SegmentError, path: string, expected: string, actual: string, message: string, type?: string): Translation {
  return { ok: false, type: type ?? subject, subject, ...(messageId ? { messageId } : {}), error, path, expected, actual, message }
}

/** Segment ids are strings, numbers allowed (its libraries stringify them); empty is none. */
function id(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length ? v : undefined
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

function at_(m: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = m
  for (const k of path) {
    if (!isObject(v) || !Object.hasOwn(v, k)) return undefined
    v = v[k]
  }
  return v
}

/** `value` without the key at `path` (relative to it): the account id is the envelope's, not the event's. */
function without(value: unknown, path: readonly string[]): unknown {
  if (!isObject(value) || path.length === 0 || !Object.hasOwn(value, path[0])) return value
  const [k, ...rest] = path
  if (rest.length === 0) {
    const { [k]: _, ...others } = value
    return others
  }
  return { ...value, [k]: without(value[k], rest) }
}

/**
 * A message without a messageId (Segment's libraries always set one) gets one derived from its content, so a
 * retried request is still recognized as the same event.
 */
function derivedMessageId(m: Record<string, unknown>): string {
  const { sentAt: _s, _metadata: _m, ...rest } = m
  const h = crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex')
  return `seg-${h.slice(0, 32)}`
}

/**
 * An upper bound of `value`'s size as UTF-8 JSON (every character counted as 3 bytes, every escape as 6 would
 * be over), or undefined as soon as it passes `budget`. Walks without building the JSON text.
 */
export function jsonBytesAtMost(value: unknown, budget: number): number | undefined {
  const total = { n: 0 }
  return addBytes(value, budget, total) ? total.n : undefined
}

// A plain recursive function, not a closure: this runs for every message of a large batch.
function addBytes(v: unknown, budget: number, total: { n: number }): boolean {
  if (typeof v === 'string') total.n += v.length * 6 + 2
  else if (typeof v === 'number') total.n += 24
  else if (typeof v === 'boolean' || v === null) total.n += 5
  else if (Array.isArray(v)) {
    total.n += 2
    for (const x of v) if (!addBytes(x, budget, total) || ++total.n > budget) return false
  } else if (typeof v === 'object') {
    total.n += 2
    for (const k in v) if ((total.n += k.length * 6 + 4) > budget || !addBytes((v as Record<string, unknown>)[k], budget, total)) return false
  }
  return total.n <= budget
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeName(v: unknown): string {
  if (v === undefined) return 'missing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}
