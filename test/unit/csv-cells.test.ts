import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { convertCell, EXPECTED, parseDate, parseInstant } from '../../cli/import/cell-values.js'
import { eventFields, type FieldType } from '../../cli/import/field-types.js'
import { CATALOG_DIR } from '../../schemas/index.js'

const t = (kind: FieldType['kind'], extra: Partial<FieldType> = {}): FieldType => ({ kind, nullable: false, hasDefault: false, described: kind, ...extra })
const catalog = (event: string) => eventFields(JSON.parse(fs.readFileSync(`${CATALOG_DIR}/${event}.avsc`, 'utf8')))

describe('eventFields', () => {
  it('reads each property\'s cell kind from the catalog\'s Avro schemas', () => {
    const paid = catalog('invoice_paid')
    expect(paid.get('amountCents')).toEqual({ kind: 'long', nullable: false, hasDefault: false, described: 'long' })
    expect(paid.get('dueDate')).toEqual({ kind: 'date', nullable: true, hasDefault: true, described: 'null | int (date)' })
    expect(catalog('user_login').get('method')).toMatchObject({ kind: 'enum', symbols: ['PASSWORD', 'SSO', 'MAGIC_LINK', 'API_TOKEN', 'OTHER'], hasDefault: false })
    expect(catalog('user_login').get('mfa')).toMatchObject({ kind: 'boolean', hasDefault: true, nullable: false })
    expect(catalog('payment_failed').get('nextRetryAt')).toMatchObject({ kind: 'timestamp-millis', nullable: true })
    expect(catalog('support_ticket_resolved').get('sentiment')).toMatchObject({ kind: 'enum', nullable: true, described: 'null | enum Sentiment' })
  })

  it('resolves named types defined earlier, and reads other types as JSON', () => {
    const fields = eventFields({
      type: 'record',
      name: 'E',
      namespace: 'ns',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'Level', symbols: ['LOW', 'HIGH'] } },
        { name: 'b', type: ['null', 'ns.Level'], default: null },
        { name: 'c', type: { type: 'array', items: 'string' } },
        { name: 'd', type: ['null', 'string', 'long'] },
        { name: 'e', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'f', type: 'float' },
        { name: 'g', type: { type: 'double' } },
      ],
    })
    expect(fields.get('b')).toMatchObject({ kind: 'enum', symbols: ['LOW', 'HIGH'], nullable: true })
    expect(fields.get('c')).toMatchObject({ kind: 'json', described: 'array' })
    expect(fields.get('d')).toMatchObject({ kind: 'json', nullable: true, described: 'null | string | long' })
    expect(fields.get('e')).toMatchObject({ kind: 'timestamp-micros' })
    expect(fields.get('f')!.kind).toBe('float')
    expect(fields.get('g')!.kind).toBe('double')
    expect(() => eventFields({ type: 'string' })).toThrow('not an Avro record')
  })
})

describe('convertCell', () => {
  const ok = (cell: string, type: FieldType) => {
    const r = convertCell(cell, type)
    if (!r.ok) throw new Error(`refused ${cell}: ${r.expected}`)
    return 'omit' in r ? 'OMIT' : r.value
  }
  const refused = (cell: string, type: FieldType) => {
    const r = convertCell(cell, type)
    if (r.ok) throw new Error(`accepted ${cell}`)
    return r.expected
  }

  it('takes strings exactly as written', () => {
    expect(ok('  a, "b" ', t('string'))).toBe('  a, "b" ')
  })

  it('reads ints within 32 bits and refuses anything else, saying what an int is', () => {
    expect(ok('42', t('int'))).toBe(42)
    expect(ok(' -7 ', t('int'))).toBe(-7)
    expect(ok('+2147483647', t('int'))).toBe(2147483647)
    for (const cell of ['abc', '1.5', '1e3', '2147483648', '1,000', '0x10']) expect(refused(cell, t('int'))).toBe(EXPECTED.int)
    expect(EXPECTED.int).toBe('an int: a whole number from -2147483648 to 2147483647')
  })

  it('reads longs up to 2^53 - 1, beyond which JSON numbers are not exact', () => {
    expect(ok('9007199254740991', t('long'))).toBe(9007199254740991)
    expect(refused('9007199254740993', t('long'))).toBe(EXPECTED.long)
    expect(refused('12.0', t('long'))).toMatch(/^a long: a whole number/)
  })

  it('reads floats and doubles with a decimal point or exponent, refusing NaN, infinities and decimal commas', () => {
    expect(ok('12.5', t('double'))).toBe(12.5)
    expect(ok('-.5e-3', t('double'))).toBe(-0.0005)
    expect(ok('3', t('float'))).toBe(3)
    expect(refused('1e39', t('float'))).toBe(EXPECTED.float)
    expect(ok('1e39', t('double'))).toBe(1e39)
    for (const cell of ['NaN', 'Infinity', '1e400', '12,5', '1.2.3']) expect(refused(cell, t('double'))).toBe(EXPECTED.double)
  })

  it('reads the usual spellings of booleans, in any case', () => {
    for (const cell of ['true', 'TRUE', 'yes', 'Y', 't', '1']) expect(ok(cell, t('boolean'))).toBe(true)
    for (const cell of ['false', 'False', 'no', 'n', 'F', '0']) expect(ok(cell, t('boolean'))).toBe(false)
    expect(refused('maybe', t('boolean'))).toBe('a boolean: true or false (also yes/no, y/n, t/f, 1/0, in any case)')
  })

  it('reads enum symbols exactly, case included, listing them when one does not fit', () => {
    const method = catalog('user_login').get('method')!
    expect(ok('SSO', method)).toBe('SSO')
    expect(refused('sso', method)).toBe('one of the symbols of enum LoginMethod: PASSWORD, SSO, MAGIC_LINK, API_TOKEN, OTHER (exactly, case included)')
  })

  it('reads dates as days since 1970-01-01 and refuses dates that do not exist', () => {
    const date = t('date')
    expect(ok('1970-01-02', date)).toBe(1)
    expect(ok('2026-03-31', date)).toBe(20543)
    for (const cell of ['2026-02-30', '31/03/2026', '20543', '2026-03-31T00:00:00Z']) expect(refused(cell, date)).toBe('a date: YYYY-MM-DD, e.g. 2026-03-31')
    expect(parseDate('1969-12-31')).toBe(-1)
  })

  it('reads timestamp-millis and -micros properties from ISO 8601 or epoch cells', () => {
    expect(ok('2026-03-31T12:00:00.123456Z', t('timestamp-millis'))).toBe(Date.parse('2026-03-31T12:00:00.123Z'))
    expect(ok('2026-03-31T12:00:00.123456Z', t('timestamp-micros'))).toBe(Date.parse('2026-03-31T12:00:00.123Z') * 1000 + 456)
    expect(ok('1774958400', t('timestamp-millis'))).toBe(1774958400000)
    expect(refused('soon', t('timestamp-millis'))).toBe(EXPECTED.instant)
  })

  it('reads JSON for types a cell cannot spell as a scalar', () => {
    const list: FieldType = t('json', { described: 'array' })
    expect(ok('["a",1]', list)).toEqual(['a', 1])
    expect(refused('[a', list)).toBe("JSON for the schema's type array")
  })

  it('reads an empty cell as null when the type allows it, else as the default, else "" for a string, else refuses it', () => {
    expect(ok('', t('int', { nullable: true }))).toBe(null)
    expect(ok('  ', t('date', { nullable: true, hasDefault: true }))).toBe(null)
    expect(ok('', t('boolean', { hasDefault: true }))).toBe('OMIT')
    expect(ok('', t('string'))).toBe('')
    expect(ok('', t('string', { hasDefault: true }))).toBe('OMIT')
    expect(refused('', t('long'))).toBe(`${EXPECTED.long}; the field is required and has no default, so the cell must not be empty`)
    expect(refused(' ', t('int'))).toMatch(/must not be empty$/)
  })
})

describe('parseInstant', () => {
  const ms = (text: string, format: Parameters<typeof parseInstant>[1] = 'auto') => {
    const r = parseInstant(text, format)
    return r.ok ? r.ms : r.expected
  }
  const NOON = Date.parse('2026-03-31T12:00:00Z')

  it('reads ISO 8601 date-times with a zone: Z, ±hh:mm, ±hhmm, ±hh, a T or a space, fractions to the millisecond', () => {
    expect(ms('2026-03-31T12:00:00Z')).toBe(NOON)
    expect(ms('2026-03-31 14:00:00+02:00')).toBe(NOON)
    expect(ms('2026-03-31T07:30-0430')).toBe(NOON)
    expect(ms('2026-03-31T13:00:00+01')).toBe(NOON)
    expect(ms('2026-03-31T12:00:00.987654321Z')).toBe(NOON + 987)
  })

  it('refuses a date-time without a zone, saying how to add one, and times that do not exist', () => {
    expect(ms('2026-03-31 12:00:00')).toBe(`${EXPECTED.instant}; this one has no zone: add Z for UTC or an offset such as +02:00`)
    expect(ms('2026-02-30T12:00:00Z')).toBe(`${EXPECTED.instant}; "2026-02-30T12:00:00Z" names no real time`)
    expect(ms('2026-03-31T24:00:00Z')).toMatch(/names no real time$/)
    expect(ms('2026-03-31T12:00:00+25:00')).toMatch(/names no real time$/)
    expect(ms('2026-03-31')).toBe(EXPECTED.instant)
  })

  it('reads a plain number by its size: below 10^11 epoch seconds, below 10^14 epoch milliseconds, larger refused', () => {
    expect(ms('1774958400')).toBe(NOON)
    expect(ms('1774958400.5')).toBe(NOON + 500)
    expect(ms('1774958400000')).toBe(NOON)
    expect(ms('99999999999')).toBe(99999999999000)
    expect(ms('100000000000')).toBe(100000000000)
    expect(ms('1774958400000000')).toBe(`${EXPECTED.instant} (a number of 10^14 or more is neither: microseconds and nanoseconds are not read)`)
  })

  it('reads only the named form when the format is pinned', () => {
    expect(ms('1774958400000', 'epoch_millis')).toBe(NOON)
    expect(ms('1774958400', 'epoch_millis')).toBe(1774958400)
    expect(ms('1774958400000', 'epoch_seconds')).toBe(1774958400000000)
    expect(ms('2026-03-31T12:00:00Z', 'epoch_seconds')).toBe('epoch seconds: a number such as 1774958400 or 1774958400.25')
    expect(ms('1774958400.5', 'epoch_millis')).toBe('epoch milliseconds: a whole number such as 1774958400000')
    expect(ms('1774958400', 'iso')).toBe('an ISO 8601 date-time with a zone, e.g. 2026-03-31T12:00:00Z or 2026-03-31 14:00:00+02:00')
    expect(ms('2026-03-31T12:00:00Z', 'iso')).toBe(NOON)
  })
})
