import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { validateMapping } from '../../cli/import/csv-mapping.js'
import { convertRow, eventNameOf, type PlanLookup } from '../../cli/import/csv-row.js'
import { bindMapping, eventPlan, formatProblem, type BoundMapping } from '../../cli/import/event-plan.js'
import { eventFields } from '../../cli/import/field-types.js'
import { CSV_ROW_NAMESPACE, rowMessageId, uuidV5 } from '../../cli/import/row-message-id.js'
import { CATALOG_DIR } from '../../schemas/index.js'

const HEADER = ['id', 'event', 'account', 'user', 'at', 'method', 'mfa', 'amount', 'invoice', 'due', 'note']

function setup(raw: Record<string, unknown>, opts: { strict?: boolean; header?: string[] } = {}) {
  const m = validateMapping({ event: 'event', accountId: 'account', userId: 'user', timestamp: 'at', ...raw })
  if (!m.mapping) throw new Error(m.problems.map(formatProblem).join('\n'))
  const b = bindMapping(m.mapping, opts.header ?? HEADER, { strict: opts.strict })
  if (b.problems.length) throw new Error(b.problems.map(formatProblem).join('\n'))
  const bound: BoundMapping = b.bound
  const planFor = (event: string): PlanLookup => {
    const file = `${CATALOG_DIR}/${event}.avsc`
    if (!fs.existsSync(file)) return { error: 'unknown_event', message: `no schema is registered for event "${event}"` }
    const r = eventPlan(bound, event, eventFields(JSON.parse(fs.readFileSync(file, 'utf8'))))
    return r.plan ? { plan: r.plan } : { error: 'invalid_mapping', message: r.problems.map(formatProblem).join('; ') }
  }
  const row = (cells: Record<string, string>, malformed?: string) => {
    const fields = bound.header.map((h) => cells[h] ?? '')
    return convertRow({ fields, ...(malformed ? { malformed } : {}) }, bound, planFor)
  }
  return { bound, row }
}

const MAPPING = {
  messageId: 'id',
  properties: { method: { column: 'method', values: { sso: 'SSO' } }, mfa: 'mfa', currency: { value: 'EUR' } },
  events: { invoice_paid: { properties: { amountCents: 'amount', invoiceId: 'invoice', dueDate: 'due' } } },
}
const LOGIN = { id: 'm-1', event: 'user_login', account: 'acct_1', user: 'u_1', at: '2026-03-31T14:00:00+02:00', method: 'SSO', mfa: 'yes' }
const PAID = { id: 'm-2', event: 'invoice_paid', account: 'acct_1', at: '1774958400000', amount: '1200', invoice: 'INV-1', due: '2026-04-01' }

describe('convertRow', () => {
  const { row, bound } = setup(MAPPING)

  it('turns a row into the envelope /v1/batch takes, each property typed by its event\'s schema', () => {
    expect(row(LOGIN)).toEqual({
      ok: true,
      envelope: { messageId: 'm-1', event: 'user_login', accountId: 'acct_1', userId: 'u_1', timestamp: '2026-03-31T12:00:00.000Z', properties: { method: 'SSO', mfa: true } },
      columns: { event: 'event', accountId: 'account', userId: 'user', messageId: 'id', timestamp: 'at', 'properties.method': 'method', 'properties.mfa': 'mfa' },
    })
    const paid = row(PAID)
    expect(paid.ok && paid.envelope).toEqual({
      messageId: 'm-2',
      event: 'invoice_paid',
      accountId: 'acct_1',
      timestamp: '2026-03-31T12:00:00.000Z',
      properties: { currency: 'EUR', amountCents: 1200, invoiceId: 'INV-1', dueDate: 20544 },
    })
    expect(eventNameOf(bound.header.map((h) => (PAID as Record<string, string>)[h] ?? ''), bound)).toBe('invoice_paid')
  })

  it('reads cells through values, leaves an empty cell with a default out, and an empty nullable cell as null', () => {
    const r = row({ ...LOGIN, method: 'sso', mfa: '' })
    expect(r.ok && r.envelope.properties).toEqual({ method: 'SSO' })
    const p = row({ ...PAID, due: '' })
    expect(p.ok && p.envelope.properties.dueDate).toBe(null)
    // An empty userId leaves it out of the envelope.
    expect(row({ ...LOGIN, user: '' })).toMatchObject({ ok: true, envelope: { accountId: 'acct_1' } })
    expect((row({ ...LOGIN, user: '' }) as { envelope: object }).envelope).not.toHaveProperty('userId')
  })

  it('rejects a row with every cell that does not fit, by column, field and what was expected', () => {
    const r = row({ ...PAID, amount: 'abc', due: '2026-02-30', at: 'yesterday', account: '' })
    expect(r).toEqual({
      ok: false,
      reject: {
        event: 'invoice_paid',
        messageId: 'm-2',
        error: 'invalid_cell',
        message: expect.stringContaining('column "account" (accountId): expected an accountId, got an empty cell; column "at" (timestamp)'),
        violations: [
          { column: 'account', path: 'accountId', expected: 'an accountId', actual: 'an empty cell', message: 'column "account" (accountId): expected an accountId, got an empty cell' },
          {
            column: 'at',
            path: 'timestamp',
            expected: 'a date-time: ISO 8601 with a zone (2026-03-31T12:00:00Z, 2026-03-31 14:00:00+02:00) or epoch seconds or milliseconds',
            actual: '"yesterday"',
            message: 'column "at" (timestamp): expected a date-time: ISO 8601 with a zone (2026-03-31T12:00:00Z, 2026-03-31 14:00:00+02:00) or epoch seconds or milliseconds, got "yesterday"',
          },
          {
            column: 'amount',
            path: 'properties.amountCents',
            expected: 'a long: a whole number from -9007199254740991 to 9007199254740991 (beyond that JSON numbers are not exact)',
            actual: '"abc"',
            message: 'column "amount" (properties.amountCents): expected a long: a whole number from -9007199254740991 to 9007199254740991 (beyond that JSON numbers are not exact), got "abc"',
          },
          { column: 'due', path: 'properties.dueDate', expected: 'a date: YYYY-MM-DD, e.g. 2026-03-31', actual: '"2026-02-30"', message: 'column "due" (properties.dueDate): expected a date: YYYY-MM-DD, e.g. 2026-03-31, got "2026-02-30"' },
        ],
      },
    })
  })

  it('rejects the rows of an event whose values targets are no values of the property', () => {
    const { row: r } = setup({ ...MAPPING, properties: { ...MAPPING.properties, mfa: { column: 'mfa', values: { '?': 'unknown' } } } })
    const out = r({ ...LOGIN, mfa: 'yes' })
    expect(!out.ok && out.reject).toMatchObject({
      error: 'invalid_mapping',
      message: 'properties.mfa.values.?: "unknown" is no value of mfa (boolean): expected a boolean: true or false (also yes/no, y/n, t/f, 1/0, in any case)',
    })
  })

  it('rejects an empty event name, an empty messageId, and a required property left empty', () => {
    const r = row({ ...LOGIN, event: '', id: '' })
    expect(!r.ok && r.reject.violations!.map((v) => v.message)).toEqual(['column "event" (event): expected an event name, got an empty cell', 'column "id" (messageId): expected a messageId, got an empty cell'])
    const m = row({ ...LOGIN, method: '  ' })
    expect(!m.ok && m.reject.message).toBe(
      'column "method" (properties.method): expected one of the symbols of enum LoginMethod: PASSWORD, SSO, MAGIC_LINK, API_TOKEN, OTHER (exactly, case included); the field is required and has no default, so the cell must not be empty, got only spaces ("  ")',
    )
  })

  it('rejects rows of an unknown event, and of an event the mapping cannot serve', () => {
    expect(row({ ...LOGIN, event: 'user_logout' })).toEqual({ ok: false, reject: { event: 'user_logout', messageId: 'm-1', error: 'unknown_event', message: 'no schema is registered for event "user_logout"' } })
    const r = row({ ...LOGIN, event: 'csat_submitted' })
    expect(r).toEqual({
      ok: false,
      reject: { event: 'csat_submitted', messageId: 'm-1', error: 'invalid_mapping', message: 'properties: event "csat_submitted" requires score (int), which the mapping does not give; map it under properties or events.csat_submitted.properties' },
    })
  })

  it('rejects a malformed record and one with another number of fields than the header', () => {
    expect(row(LOGIN, 'a quote inside an unquoted field (field 2)')).toEqual({ ok: false, reject: { error: 'invalid_csv', message: 'a quote inside an unquoted field (field 2)' } })
    expect(convertRow({ fields: ['a', 'b'] }, bound, () => ({ error: 'unknown_event', message: '' }))).toEqual({ ok: false, reject: { error: 'invalid_csv', message: 'the row has 2 fields, the header 11' } })
  })

  it('with --strict, rejects a value in a column the row\'s event does not read', () => {
    const { row: strict } = setup(MAPPING, { strict: true, header: HEADER.filter((h) => h !== 'note') })
    expect(strict(LOGIN).ok).toBe(true)
    const r = strict({ ...LOGIN, amount: '12' })
    expect(!r.ok && r.reject.message).toBe(
      'column "amount" (unused): expected an empty cell: the mapping reads this column for no property of "user_login", and --strict lets no value go unused, got "12"',
    )
    // Without --strict the cell is ignored.
    expect(row({ ...LOGIN, amount: '12', note: 'hello' }).ok).toBe(true)
  })

  it('gives the file\'s one event, constant account and pinned version to every row', () => {
    const { row: r } = setup({ event: { value: 'user_login' }, accountId: { value: 'acct_9' }, schemaVersion: 1, properties: { method: 'method' } })
    expect(r({ at: '1774958400', method: 'PASSWORD', user: 'u' })).toMatchObject({
      ok: true,
      envelope: { event: 'user_login', accountId: 'acct_9', userId: 'u', schemaVersion: 1, timestamp: '2026-03-31T12:00:00.000Z', properties: { method: 'PASSWORD' } },
    })
  })
})

describe('rowMessageId', () => {
  it('is a UUIDv5 as RFC 9562 computes it', () => {
    // The RFC's DNS namespace and "www.example.com" (RFC 9562, appendix A.4).
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
    expect(CSV_ROW_NAMESPACE).toBe('aad8c11e-f9b2-42dd-9b5b-a73f0fbcc3c4')
  })

  it('depends on the event and every cell by column name, not on the column order or the line', () => {
    const id = rowMessageId('user_login', ['a', 'b'], ['1', '2'])
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(rowMessageId('user_login', ['b', 'a'], ['2', '1'])).toBe(id)
    expect(rowMessageId('feature_used', ['a', 'b'], ['1', '2'])).not.toBe(id)
    expect(rowMessageId('user_login', ['a', 'b'], ['1', '3'])).not.toBe(id)
    expect(rowMessageId('user_login', ['a', 'c'], ['1', '2'])).not.toBe(id)
    // Cells are kept apart: "1,23" is not "12,3".
    expect(rowMessageId('e', ['a', 'b'], ['1', '23'])).not.toBe(rowMessageId('e', ['a', 'b'], ['12', '3']))
  })

  it('is derived for rows without a messageId column, the same however the mapping changes', () => {
    const plain = setup({ properties: { method: 'method' } })
    const more = setup({ properties: { method: 'method', mfa: 'mfa' } })
    const a = plain.row(LOGIN)
    const b = more.row(LOGIN)
    expect(a.ok && b.ok && a.envelope.messageId).toBe(b.ok && b.envelope.messageId)
    expect(a.ok && a.envelope.messageId).toBe(rowMessageId('user_login', HEADER, HEADER.map((h) => (LOGIN as Record<string, string>)[h] ?? '')))
  })
})
