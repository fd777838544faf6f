/**
 * Pure: a CSV cell's text turned into the JSON value its field's type takes, or what was expected instead.
 * Nothing is coerced: a cell that does not spell a value of the type exactly ("abc" or "1.5" for an int, 3e9
 * for an int, "maybe" for a boolean, a symbol in the wrong case) is refused, and the row with it.
 */
import type { FieldType } from './field-types.js'

export type CellResult =
  | { ok: true; value: unknown }
  /** An empty cell for a field with a default: leave the property out and let the default apply. */
  | { ok: true; omit: true }
  | { ok: false; expected: string }

const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1
const FLOAT_MAX = 3.4028234663852886e38
const WHOLE = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const TRUE = new Set(['true', 't', 'yes', 'y', '1'])
const FALSE = new Set(['false', 'f', 'no', 'n', '0'])

export const EXPECTED = {
  string: 'a string',
  int: `an int: a whole number from ${INT_MIN} to ${INT_MAX}`,
  long: `a long: a whole number from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} (beyond that JSON numbers are not exact)`,
  float: 'a float: a number such as 12.5, -3 or 1e-3 (a decimal point, no thousands separators), at most 3.4e38 in size',
  double: 'a double: a number such as 12.5, -3 or 1e-3 (a decimal point, no thousands separators)',
  boolean: 'a boolean: true or false (also yes/no, y/n, t/f, 1/0, in any case)',
  date: 'a date: YYYY-MM-DD, e.g. 2026-03-31',
  instant: 'a date-time: ISO 8601 with a zone (2026-03-31T12:00:00Z, 2026-03-31 14:00:00+02:00) or epoch seconds or milliseconds',
} as const

/**
 * The value of one cell for a field of `type`. Surrounding spaces are ignored except in strings. An empty
 * cell is null when the type allows null, else the field's default (left out) when it has one, else the
 * empty string for a string; for any other type it is refused as missing.
 */
export function convertCell(cell: string, type: FieldType): CellResult {
  const text = type.kind === 'string' ? cell : cell.trim()
  if (text === '') {
    if (type.nullable) return { ok: true, value: null }
    if (type.hasDefault) return { ok: true, omit: true }
    if (type.kind === 'string') return { ok: true, value: '' }
    return { ok: false, expected: `${expectedOf(type)}; the field is required and has no default, so the cell must not be empty` }
  }
  switch (type.kind) {
    case 'string':
      return { ok: true, value: text }
    case 'int': {
      const n = WHOLE.test(text) ? Number(text) : NaN
      return n >= INT_MIN && n <= INT_MAX ? { ok: true, value: n } : { ok: false, expected: EXPECTED.int }
    }
    case 'long': {
      const n = WHOLE.test(text) ? Number(text) : NaN
      return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false, expected: EXPECTED.long }
    }
    case 'float':
    case 'double': {
      const n = DECIMAL.test(text) ? Number(text) : NaN
      const max = type.kind === 'float' ? FLOAT_MAX : Number.MAX_VALUE
      return Number.isFinite(n) && Math.abs(n) <= max ? { ok: true, value: n } : { ok: false, expected: EXPECTED[type.kind] }
    }
    case 'boolean': {
      const lower = text.toLowerCase()
      if (TRUE.has(lower)) return { ok: true, value: true }
      if (FALSE.has(lower)) return { ok: true, value: false }
      return { ok: false, expected: EXPECTED.boolean }
    }
    case 'enum':
      return type.symbols!.includes(text) ? { ok: true, value: text } : { ok: false, expected: expectedOf(type) }
    case 'date': {
      const days = parseDate(text)
      return days === undefined ? { ok: false, expected: EXPECTED.date } : { ok: true, value: days }
    }
    case 'timestamp-millis':
    case 'timestamp-micros': {
      const at = parseInstant(text, 'auto')
      if (!at.ok) return at
      return { ok: true, value: type.kind === 'timestamp-millis' ? at.ms : at.micros }
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) }
      } catch {
        return { ok: false, expected: expectedOf(type) }
      }
  }
}

/** What a cell of `type` must hold, as rejects say it. */
export function expectedOf(type: FieldType): string {
  switch (type.kind) {
    case 'enum':
      return `one of the symbols of ${type.described.replace(/^null \| /, '')}: ${type.symbols!.join(', ')} (exactly, case included)`
    case 'date':
      return EXPECTED.date
    case 'timestamp-millis':
    case 'timestamp-micros':
      return EXPECTED.instant
    case 'json':
      return `JSON for the schema's type ${type.described}`
    default:
      return EXPECTED[type.kind]
  }
}

/** Days since 1970-01-01 of a YYYY-MM-DD calendar date, or undefined when it is not one (2026-02-30). */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const ms = Date.UTC(y, mo - 1, d)
  const back = new Date(ms)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined
  return ms / 86_400_000
}

/**
 * How the timestamp column is written. `auto` reads an ISO 8601 date-time as such and a plain number by its
 * size: below 10^11 it is epoch seconds (up to the year 5138), below 10^14 epoch milliseconds (from March
 * 1973); anything larger (microseconds, nanoseconds) is refused rather than guessed at.
 */
export type TimestampFormat = 'auto' | 'iso' | 'epoch_seconds' | 'epoch_millis'
export const TIMESTAMP_FORMATS: readonly TimestampFormat[] = ['auto', 'iso', 'epoch_seconds', 'epoch_millis']

export type InstantResult = { ok: true; ms: number; micros: number } | { ok: false; expected: string }

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/
const EPOCH = /^[+-]?\d+(\.\d+)?$/
const SECONDS_BELOW = 1e11
const MILLIS_BELOW = 1e14

/** An instant, to the millisecond and to the microsecond (ISO fractions beyond those are cut off). */
export function parseInstant(text: string, format: TimestampFormat): InstantResult {
  const expected =
    format === 'iso' ? 'an ISO 8601 date-time with a zone, e.g. 2026-03-31T12:00:00Z or 2026-03-31 14:00:00+02:00'
    : format === 'epoch_seconds' ? 'epoch seconds: a number such as 1774958400 or 1774958400.25'
    : format === 'epoch_millis' ? 'epoch milliseconds: a whole number such as 1774958400000'
    : EXPECTED.instant
  if (format !== 'iso' && EPOCH.test(text)) {
    const n = Number(text)
    const seconds = format === 'epoch_seconds' || (format === 'auto' && Math.abs(n) < SECONDS_BELOW)
    if (seconds) return instant(Math.round(n * 1e6), expected)
    if (format === 'epoch_millis' ? !Number.isInteger(n) : Math.abs(n) >= MILLIS_BELOW || !Number.isInteger(n)) {
      return { ok: false, expected: format === 'auto' ? `${expected} (a number of 10^14 or more is neither: microseconds and nanoseconds are not read)` : expected }
    }
    return instant(n * 1000, expected)
  }
  if (format === 'epoch_seconds' || format === 'epoch_millis') return { ok: false, expected }
  const m = ISO.exec(text)
  if (!m) {
    const zoneless = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?$/.test(text)
    return { ok: false, expected: zoneless ? `${expected}; this one has no zone: add Z for UTC or an offset such as +02:00` : expected }
  }
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0))
  const fraction = (m[7] ?? '').padEnd(6, '0').slice(0, 6)
  const zone = m[8].toUpperCase() === 'Z' ? 0 : zoneMinutes(m[8])
  const base = Date.UTC(y, mo - 1, d, h, mi, s)
  const check = new Date(base)
  if (zone === undefined || check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { ok: false, expected: `${expected}; ${JSON.stringify(text)} names no real time` }
  }
  return instant((base - zone * 60_000) * 1000 + Number(fraction), expected)
}

function zoneMinutes(zone: string): number | undefined {
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0
  if (hours > 23 || minutes > 59) return undefined
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes)
}

function instant(micros: number, expected: string): InstantResult {
  const ms = Math.floor(micros / 1000)
  // JavaScript dates end at ±8.64e15 ms; the envelope's ISO form needs one.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return { ok: false, expected }
  return { ok: true, ms, micros }
}
