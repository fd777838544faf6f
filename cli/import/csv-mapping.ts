/**
 * Pure: the mapping that says how a CSV row becomes an event envelope, checked once before anything is
 * sent, with every problem named by its key. Types are not part of it: each property's type comes from
 * the event's schema in the registry (see `event-plan.ts`).
 *
 *   event: event_name                 # the column holding the event name, or { value: invoice_paid }
 *   accountId: account_id             # a column, or { value: acct_1 } for a file about one account
 *   userId: user_id                   # optional
 *   timestamp: occurred_at            # or { column: occurred_at, format: auto | iso | epoch_seconds | epoch_millis }
 *   messageId: id                     # optional; without it each row gets an id derived from its content
 *   properties:                       # for every event whose schema declares the property
 *     plan: plan_name                 # a column
 *     currency: { value: EUR }        # the same value on every row
 *     method: { column: login, values: { sso: SSO, pw: PASSWORD } }   # cell texts read as others
 *   events:                           # for one event only (declared by its schema, checked at start)
 *     invoice_paid: { schemaVersion: 2, properties: { amountCents: amount } }
 */
import { TIMESTAMP_FORMATS, type TimestampFormat } from './cell-values.js'

export type Scalar = string | number | boolean | null

/** Where an envelope field or a property comes from: a column of each row, or one value for the whole file. */
export type Source = { column: string } | { value: string }

export interface PropertySource {
  column?: string
  /** The same value on every row; read like a cell (so `"12"` and `12` both give an int 12). */
  value?: Scalar
  /** Cell texts read as other texts before conversion: provider codes to enum symbols, "N/A" to empty. */
  values?: Record<string, Scalar>
}

export interface PropertyMappings {
  [property: string]: PropertySource
}

export interface CsvMapping {
  event: Source
  accountId: Source
  userId?: Source
  timestamp: { column: string; format: TimestampFormat }
  messageId?: { column: string }
  /** The version to validate with; only with a constant event (per event: `events.NAME.schemaVersion`). */
  schemaVersion?: number
  /** @defaultValue ',' */
  delimiter: string
  properties: PropertyMappings
  events: Record<string, { schemaVersion?: number; properties: PropertyMappings }>
}

export type Path = (string | number)[]
export interface MappingProblem {
  path: Path
  message: string
}

const TOP_KEYS = ['event', 'accountId', 'userId', 'timestamp', 'messageId', 'schemaVersion', 'delimiter', 'properties', 'events']

/** The mapping, or every problem with it. */
export function validateMapping(raw: unknown): { mapping?: CsvMapping; problems: MappingProblem[] } {
  const problems: MappingProblem[] = []
  const fail = (path: Path, message: string) => void problems.push({ path, message })
  if (!isObject(raw)) return { problems: [{ path: [], message: 'a mapping must be a YAML or JSON object with event, accountId, timestamp and properties' }] }
  unknownKeys(raw, TOP_KEYS, [], fail)

  const event = source(raw.event, ['event'], fail, { required: true })
  const accountId = source(raw.accountId, ['accountId'], fail, { required: true })
  const userId = source(raw.userId, ['userId'], fail, { required: false })
  const timestamp = timestampSource(raw.timestamp, fail)
  const messageId = raw.messageId === undefined ? undefined : columnOnly(raw.messageId, ['messageId'], fail, 'the column holding each row\'s messageId (leave messageId out to derive one from the row)')

  let schemaVersion: number | undefined
  if (raw.schemaVersion !== undefined) {
    schemaVersion = version(raw.schemaVersion, ['schemaVersion'], fail)
    if (event && 'column' in event) fail(['schemaVersion'], 'a version for the whole file needs one event for the whole file (event: { value: … }); pin versions per event under events.NAME.schemaVersion')
  }

  let delimiter = ','
  if (raw.delimiter !== undefined) {
    const d = raw.delimiter
    if (typeof d !== 'string' || d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\r' || d === '\n') {
      fail(['delimiter'], `must be one ASCII character other than a quote or a line break, e.g. ";" or "\\t"; got ${JSON.stringify(d)}`)
    } else delimiter = d
  }

  const properties = raw.properties === undefined ? {} : propertyMappings(raw.properties, ['properties'], fail)
  const events: CsvMapping['events'] = {}
  if (raw.events !== undefined) {
    if (!isObject(raw.events)) fail(['events'], 'must map event names to { properties, schemaVersion }')
    else {
      for (const [name, section] of Object.entries(raw.events)) {
        const at = ['events', name]
        if (!isObject(section)) {
          fail(at, 'must be an object with properties (and optionally schemaVersion)')
          continue
        }
        unknownKeys(section, ['properties', 'schemaVersion'], at, fail)
        if (event && 'value' in event && event.value !== name) fail(at, `the file's events are all "${event.value}" (event: { value: … }), so a section for "${name}" would never apply`)
        events[name] = {
          ...(section.schemaVersion === undefined ? {} : { schemaVersion: version(section.schemaVersion, [...at, 'schemaVersion'], fail) }),
          properties: section.properties === undefined ? {} : propertyMappings(section.properties, [...at, 'properties'], fail),
        }
      }
    }
  }
  if (problems.length) return { problems }
  return {
    mapping: {
      event: event!,
      accountId: accountId!,
      ...(userId ? { userId } : {}),
      timestamp: timestamp!,
      ...(messageId ? { messageId: { column: messageId } } : {}),
      ...(schemaVersion === undefined ? {} : { schemaVersion }),
      delimiter,
      properties,
      events,
    },
    problems,
  }
}

/** Every column the mapping reads, with the key that names it (for messages). */
export function mappedColumns(m: CsvMapping): { column: string; path: Path }[] {
  const out: { column: string; path: Path }[] = []
  for (const key of ['event', 'accountId', 'userId', 'timestamp', 'messageId'] as const) {
    const s = m[key]
    if (s && 'column' in s) out.push({ column: s.column, path: [key] })
  }
  const props = (ps: PropertyMappings, at: Path) => {
    for (const [name, p] of Object.entries(ps)) if (p.column !== undefined) out.push({ column: p.column, path: [...at, name] })
  }
  props(m.properties, ['properties'])
  for (const [name, e] of Object.entries(m.events)) props(e.properties, ['events', name, 'properties'])
  return out
}

type Fail = (path: Path, message: string) => void

function source(v: unknown, path: Path, fail: Fail, opts: { required: boolean }): Source | undefined {
  const what = `a column name, { column: NAME } or { value: TEXT } for every row`
  if (v === undefined || v === null) {
    if (opts.required) fail(path, `is required: ${what}`)
    return undefined
  }
  if (typeof v === 'string') return nonEmpty(v, path, fail) ? { column: v } : undefined
  if (isObject(v)) {
    unknownKeys(v, ['column', 'value'], path, fail)
    if ((v.column === undefined) === (v.value === undefined)) {
      fail(path, `must have either column or value: ${what}`)
      return undefined
    }
    if (v.column !== undefined) {
      if (typeof v.column !== 'string') {
        fail([...path, 'column'], `must be a column name (a string), got ${kind(v.column)}`)
        return undefined
      }
      return nonEmpty(v.column, [...path, 'column'], fail) ? { column: v.column } : undefined
    }
    if (typeof v.value !== 'string' || v.value === '') {
      fail([...path, 'value'], `must be a non-empty string, got ${kind(v.value)}`)
      return undefined
    }
    return { value: v.value }
  }
  fail(path, `must be ${what}, got ${kind(v)}`)
  return undefined
}

function columnOnly(v: unknown, path: Path, fail: Fail, what: string): string | undefined {
  if (typeof v === 'string') return nonEmpty(v, path, fail) ? v : undefined
  if (isObject(v)) {
    unknownKeys(v, ['column'], path, fail)
    if (typeof v.column === 'string' && nonEmpty(v.column, [...path, 'column'], fail)) return v.column
    if (typeof v.column !== 'string') fail([...path, 'column'], `must be ${what}, got ${kind(v.column)}`)
    return undefined
  }
  fail(path, `must be ${what}, got ${kind(v)}`)
  return undefined
}

function timestampSource(v: unknown, fail: Fail): CsvMapping['timestamp'] | undefined {
  const what = 'the column holding each row\'s time, or { column: NAME, format: auto | iso | epoch_seconds | epoch_millis }'
  if (v === undefined || v === null) {
    fail(['timestamp'], `is required: ${what}`)
    return undefined
  }
  if (isObject(v)) {
    unknownKeys(v, ['column', 'format'], ['timestamp'], fail)
    const column = v.column === undefined ? (fail(['timestamp', 'column'], 'is required: the column holding each row\'s time'), undefined) : columnOnly(v.column, ['timestamp', 'column'], fail, 'the column holding each row\'s time')
    let format: TimestampFormat = 'auto'
    if (v.format !== undefined) {
      if (typeof v.format === 'string' && (TIMESTAMP_FORMATS as readonly string[]).includes(v.format)) format = v.format as TimestampFormat
      else fail(['timestamp', 'format'], `must be one of ${TIMESTAMP_FORMATS.join(', ')}, got ${JSON.stringify(v.format)}`)
    }
    return column === undefined ? undefined : { column, format }
  }
  const column = columnOnly(v, ['timestamp'], fail, what)
  return column === undefined ? undefined : { column, format: 'auto' }
}

function propertyMappings(v: unknown, path: Path, fail: Fail): PropertyMappings {
  const out: PropertyMappings = {}
  if (!isObject(v)) {
    fail(path, `must map property names to a column name, { column: NAME, values: {…} } or { value: X }, got ${kind(v)}`)
    return out
  }
  for (const [name, p] of Object.entries(v)) {
    const at = [...path, name]
    if (typeof p === 'string') {
      if (nonEmpty(p, at, fail)) out[name] = { column: p }
      continue
    }
    if (!isObject(p)) {
      fail(at, `must be a column name, { column: NAME, values: {…} } or { value: X }, got ${kind(p)}`)
      continue
    }
    unknownKeys(p, ['column', 'value', 'values'], at, fail)
    if ((p.column === undefined) === !('value' in p)) {
      fail(at, 'must have either column (read from each row) or value (the same for every row)')
      continue
    }
    if ('value' in p) {
      if (!isScalar(p.value)) fail([...at, 'value'], `must be a string, number, boolean or null, got ${kind(p.value)}`)
      else if (p.values !== undefined) fail([...at, 'values'], 'only applies to a column (with value, write the value you want)')
      else out[name] = { value: p.value }
      continue
    }
    if (typeof p.column !== 'string') {
      fail([...at, 'column'], `must be a column name (a string), got ${kind(p.column)}`)
      continue
    }
    if (!nonEmpty(p.column, [...at, 'column'], fail)) continue
    const entry: PropertySource = { column: p.column }
    if (p.values !== undefined) {
      if (!isObject(p.values)) {
        fail([...at, 'values'], `must map cell texts to what they are read as, e.g. { sso: SSO, "n/a": "" }, got ${kind(p.values)}`)
        continue
      }
      const bad = Object.entries(p.values).filter(([, x]) => !isScalar(x))
      for (const [k, x] of bad) fail([...at, 'values', k], `must be a string, number, boolean or null, got ${kind(x)}`)
      if (bad.length) continue
      entry.values = p.values as Record<string, Scalar>
    }
    out[name] = entry
  }
  return out
}

function version(v: unknown, path: Path, fail: Fail): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v
  fail(path, `must be a schema version: a whole number from 1, got ${JSON.stringify(v)}`)
  return undefined
}

function unknownKeys(o: Record<string, unknown>, allowed: string[], path: Path, fail: Fail) {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail([...path, k], `unknown key; allowed here: ${allowed.join(', ')}`)
}

function nonEmpty(s: string, path: Path, fail: Fail): boolean {
  if (s !== '') return true
  fail(path, 'must not be empty')
  return false
}

function isScalar(x: unknown): x is Scalar {
  return x === null || ['string', 'number', 'boolean'].includes(typeof x)
}

function kind(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${JSON.stringify(v)}`
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
