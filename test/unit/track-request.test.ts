import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, parseTrackRequest } from '../../gateway/track-request.js'

const NOW = Date.parse('2026-11-22T12:00:00Z')
const parse = (body: unknown) => parseTrackRequest(body, DEFAULT_LIMITS, NOW)

const valid = { event: 'feature_used', messageId: 'm-1', accountId: 'acct_1', userId: 'u_1', timestamp: '2026-11-22T10:00:00+01:00', properties: { feature: 'x' } }

describe('parseTrackRequest', () => {
  it('accepts a Segment-style envelope and normalises the timestamp to UTC', () => {
    const r = parse(valid)
    expect(r).toEqual({ ok: true, event: { ...valid, timestamp: '2026-11-22T09:00:00.000Z' } })
  })

  it('treats userId and properties as optional', () => {
    const { userId: _u, properties: _p, ...rest } = valid
    const r = parse(rest)
    expect(r.ok && r.event.userId).toBe(undefined)
    expect(r.ok && r.event.properties).toEqual({})
  })

  it.each([
    [[], 'must be a JSON object'],
    [{ ...valid, schemaVersion: 0 }, '"schemaVersion" must be a positive integer'],
    [{ ...valid, schemaVersion: '2' }, '"schemaVersion" must be a positive integer'],
    [{ ...valid, messageId: undefined }, '"messageId" is required'],
    [{ ...valid, accountId: 42 }, '"accountId" must be a string, got number'],
    [{ ...valid, event: '' }, '"event" must not be empty'],
    [{ ...valid, timestamp: 'yesterday' }, '"timestamp" must be an RFC 3339 date-time'],
    [{ ...valid, timestamp: '2026-11-22T10:00:00' }, '"timestamp" must be an RFC 3339 date-time'],
    [{ ...valid, userId: '' }, '"userId" must be null or a non-empty string of at most 255 characters, got an empty string'],
    [{ ...valid, accountId: '😀'.repeat(256) }, '"accountId" must be at most 255 characters, got 256'],
    [{ ...valid, properties: [1] }, '"properties" must be a JSON object, got array'],
    [{ ...valid, userId: 7 }, '"userId" must be null or a non-empty string of at most 255 characters, got number'],
    [{ ...valid, context: {} }, 'unknown envelope field "context"'],
  ])('rejects %j', (body, reason) => {
    const r = parse(body)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.reason).toContain(reason)
  })
})

describe('timestamps: RFC 3339 date-times, as the OpenAPI document says', () => {
  const at = (timestamp: string) => {
    const r = parseTrackRequest({ ...valid, timestamp }, { ...DEFAULT_LIMITS, maxPastMs: Infinity }, NOW)
    return r.ok ? r.event.timestamp : undefined
  }

  it('accepts offsets, any fraction and lower-case t and z', () => {
    expect(at('2026-11-22T10:00:00+01:00')).toBe('2026-11-22T09:00:00.000Z')
    expect(at('2026-11-22t10:00:00.123456789z')).toBe('2026-11-22T10:00:00.123Z')
    expect(at('2026-11-22T10:00:00.5-00:30')).toBe('2026-11-22T10:30:00.500Z')
    expect(at('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z')
    expect(at('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z')
    // A leap second: only at 23:59 UTC, counted as the second before it.
    expect(at('2026-06-30T23:59:60Z')).toBe('2026-06-30T23:59:59.000Z')
    expect(at('2026-07-01T01:59:60+02:00')).toBe('2026-06-30T23:59:59.000Z')
  })

  it.each([
    '2026-02-29T00:00:00Z', // not a leap year
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T12:60:00Z',
    '2026-01-01T12:00:60Z',
    '2026-01-01T12:00Z', // seconds are required
    '2026-01-01T12:00:00+0100', // the offset needs its colon
    '2026-01-01T12:00:00+24:00',
    '2026-01-01 12:00:00Z',
    '2026-01-01T12:00:00.Z',
  ])('refuses %s, saying what it expected', (timestamp) => {
    const r = parse({ ...valid, timestamp })
    expect(r).toMatchObject({ ok: false, error: 'invalid_envelope' })
    expect(!r.ok && r.reason).toContain(`"timestamp" must be an RFC 3339 date-time (ISO-8601 with seconds and a zone, a real calendar date and time), e.g. 2026-01-31T12:00:00.000Z`)
    expect(!r.ok && r.reason).toContain(JSON.stringify(timestamp))
  })
})

describe('envelope limits', () => {
  const deep = (n: number): unknown => (n === 0 ? 'leaf' : { x: deep(n - 1) })

  it('keeps a pinned schemaVersion', () => {
    const r = parse({ ...valid, schemaVersion: 3 })
    expect(r.ok && r.event.schemaVersion).toBe(3)
  })

  it('refuses timestamps outside the window, saying which window', () => {
    const old = parse({ ...valid, timestamp: '2026-10-01T00:00:00Z' })
    expect(old).toEqual({ ok: false, error: 'timestamp_out_of_range', reason: '"timestamp" 2026-10-01T00:00:00Z is outside the accepted window: at most 30 days in the past and 1 hour in the future' })
    expect(parse({ ...valid, timestamp: '2026-11-22T13:30:00Z' }).ok).toBe(false)
    expect(parse({ ...valid, timestamp: '2026-11-22T12:59:00Z' }).ok).toBe(true)
    const lenient = parseTrackRequest({ ...valid, timestamp: '2026-10-01T00:00:00Z' }, { ...DEFAULT_LIMITS, maxPastMs: 90 * 86_400_000 }, NOW)
    expect(lenient.ok).toBe(true)
  })

  it('refuses properties nested too deep or with too long a string, naming the path', () => {
    expect(parse({ ...valid, properties: { a: deep(7) } }).ok).toBe(true)
    const tooDeep = parse({ ...valid, properties: { a: deep(8) } })
    expect(tooDeep).toMatchObject({ ok: false, error: 'limit_exceeded' })
    expect(!tooDeep.ok && tooDeep.reason).toMatch(/^properties\.a\.x\.x\.x\.x\.x\.x\.x: nested 9 levels deep, the limit is 8$/)
    const long = parse({ ...valid, properties: { note: 'x'.repeat(8193) } })
    expect(!long.ok && long.reason).toBe('properties.note: string of 8193 characters exceeds the limit of 8192')
    // Characters are code points, as JSON Schema's maxLength counts them: 8192 emoji are 16384 UTF-16 units.
    expect(parse({ ...valid, properties: { note: '😀'.repeat(8192) } }).ok).toBe(true)
    const emoji = parse({ ...valid, properties: { note: '😀'.repeat(8193) } })
    expect(!emoji.ok && emoji.reason).toBe('properties.note: string of 8193 characters exceeds the limit of 8192')
  })
})
