import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { validateMapping, type CsvMapping } from '../../cli/import/csv-mapping.js'
import { bindMapping, eventPlan, formatProblem } from '../../cli/import/event-plan.js'
import { eventFields } from '../../cli/import/field-types.js'
import { CATALOG_DIR } from '../../schemas/index.js'

const fieldsOf = (event: string) => eventFields(JSON.parse(fs.readFileSync(`${CATALOG_DIR}/${event}.avsc`, 'utf8')))
const problems = (raw: unknown) => validateMapping(raw).problems.map(formatProblem)
const valid = (raw: unknown): CsvMapping => {
  const r = validateMapping(raw)
  if (!r.mapping) throw new Error(r.problems.map(formatProblem).join('\n'))
  return r.mapping
}
const BASE = { event: 'event', accountId: 'account', timestamp: 'at' }

describe('validateMapping', () => {
  it('takes the short forms and fills in the defaults', () => {
    expect(valid({ ...BASE, properties: { plan: 'plan_name' } })).toEqual({
      event: { column: 'event' },
      accountId: { column: 'account' },
      timestamp: { column: 'at', format: 'auto' },
      delimiter: ',',
      properties: { plan: { column: 'plan_name' } },
      events: {},
    })
  })

  it('takes the long forms: constants, a pinned timestamp format, values, per-event sections and versions', () => {
    const m = valid({
      event: { value: 'invoice_paid' },
      accountId: { column: 'account' },
      userId: 'user',
      timestamp: { column: 'at', format: 'epoch_millis' },
      messageId: { column: 'id' },
      schemaVersion: 2,
      delimiter: ';',
      properties: { currency: { value: 'EUR' }, amountCents: { column: 'amount', values: { 'n/a': null } } },
      events: { invoice_paid: { schemaVersion: 3, properties: { invoiceId: 'invoice' } } },
    })
    expect(m).toMatchObject({
      event: { value: 'invoice_paid' },
      userId: { column: 'user' },
      timestamp: { column: 'at', format: 'epoch_millis' },
      messageId: { column: 'id' },
      schemaVersion: 2,
      delimiter: ';',
      properties: { currency: { value: 'EUR' }, amountCents: { column: 'amount', values: { 'n/a': null } } },
      events: { invoice_paid: { schemaVersion: 3, properties: { invoiceId: { column: 'invoice' } } } },
    })
  })

  it('names every problem by its key and says what was expected', () => {
    expect(problems([])).toEqual(['a mapping must be a YAML or JSON object with event, accountId, timestamp and properties'])
    expect(problems({})).toEqual([
      'event: is required: a column name, { column: NAME } or { value: TEXT } for every row',
      'accountId: is required: a column name, { column: NAME } or { value: TEXT } for every row',
      "timestamp: is required: the column holding each row's time, or { column: NAME, format: auto | iso | epoch_seconds | epoch_millis }",
    ])
    expect(
      problems({
        event: { column: 'e', value: 'x' },
        accountId: 42,
        userId: { value: '' },
        timestamp: { column: 'at', format: 'unix' },
        messageId: { name: 'id' },
        schemaVersion: 0,
        delimiter: '::',
        colour: 'red',
        properties: { a: 7, b: { column: 'b', value: 1 }, c: { value: [1] }, d: { column: 'd', values: ['x'] }, e: { column: 'e', values: { x: {} } }, f: { value: 1, values: {} }, g: '' },
        events: { one: 'x', two: { properties: { p: 'p' }, extra: 1 } },
      }),
    ).toEqual([
      'colour: unknown key; allowed here: event, accountId, userId, timestamp, messageId, schemaVersion, delimiter, properties, events',
      'event: must have either column or value: a column name, { column: NAME } or { value: TEXT } for every row',
      'accountId: must be a column name, { column: NAME } or { value: TEXT } for every row, got number 42',
      'userId.value: must be a non-empty string, got string ""',
      'timestamp.format: must be one of auto, iso, epoch_seconds, epoch_millis, got "unix"',
      'messageId.name: unknown key; allowed here: column',
      "messageId.column: must be the column holding each row's messageId (leave messageId out to derive one from the row), got nothing",
      'schemaVersion: must be a schema version: a whole number from 1, got 0',
      'delimiter: must be one ASCII character other than a quote or a line break, e.g. ";" or "\\t"; got "::"',
      'properties.a: must be a column name, { column: NAME, values: {…} } or { value: X }, got number 7',
      'properties.b: must have either column (read from each row) or value (the same for every row)',
      'properties.c.value: must be a string, number, boolean or null, got a list',
      'properties.d.values: must map cell texts to what they are read as, e.g. { sso: SSO, "n/a": "" }, got a list',
      'properties.e.values.x: must be a string, number, boolean or null, got an object',
      'properties.f.values: only applies to a column (with value, write the value you want)',
      'properties.g: must not be empty',
      'events.one: must be an object with properties (and optionally schemaVersion)',
      'events.two.extra: unknown key; allowed here: properties, schemaVersion',
    ])
  })

  it('refuses a file-wide version when events come from a column, and sections for other events than the file\'s one', () => {
    expect(problems({ ...BASE, schemaVersion: 2 })).toEqual([
      'schemaVersion: a version for the whole file needs one event for the whole file (event: { value: … }); pin versions per event under events.NAME.schemaVersion',
    ])
    expect(problems({ ...BASE, event: { value: 'user_login' }, events: { feature_used: {} } })).toEqual([
      'events.feature_used: the file\'s events are all "user_login" (event: { value: … }), so a section for "feature_used" would never apply',
    ])
  })
})

describe('bindMapping', () => {
  const mapping = valid({ ...BASE, userId: 'user', properties: { method: 'method' }, events: { invoice_paid: { properties: { amountCents: 'amount' } } } })

  it('finds each mapped column in the header and lists the columns it ignores', () => {
    const r = bindMapping(mapping, ['event', 'account', 'user', 'at', 'method', 'amount', 'notes', ''])
    expect(r.problems).toEqual([])
    expect(r.ignored).toEqual(['notes', ''])
    expect(r.bound!.index.get('amount')).toBe(5)
    expect([...r.bound!.envelopeColumns]).toEqual([0, 1, 2, 3])
  })

  it('names a column missing from the header with the key that wants it, and a near miss in case or spaces', () => {
    const r = bindMapping(mapping, ['event', 'Account ', 'user', 'at', 'method'])
    expect(r.problems.map(formatProblem)).toEqual([
      'accountId: names column "account", which the header does not have (it has "Account "); its columns are "event", "Account ", "user", "at", "method"',
      'events.invoice_paid.properties.amountCents: names column "amount", which the header does not have; its columns are "event", "Account ", "user", "at", "method"',
    ])
  })

  it('refuses a header naming a column twice, and with --strict a column the mapping does not read', () => {
    expect(bindMapping(mapping, ['event', 'account', 'user', 'at', 'method', 'amount', 'at']).problems.map(formatProblem)).toEqual([
      'the header names column "at" twice (columns 4 and 7); column names must be unique',
    ])
    expect(bindMapping(mapping, ['event', 'account', 'user', 'at', 'method', 'amount', 'notes', 'x'], { strict: true }).problems.map(formatProblem)).toEqual([
      '--strict: the mapping reads no column "notes", "x"; map them or leave out --strict to ignore them',
    ])
  })
})

describe('eventPlan', () => {
  const HEADER = ['event', 'account', 'at', 'method', 'mfa', 'amount', 'invoice', 'currency']
  const bound = (raw: Record<string, unknown>) => {
    const r = bindMapping(valid({ ...BASE, ...raw }), HEADER)
    if (r.problems.length) throw new Error(r.problems.map(formatProblem).join('\n'))
    return r.bound
  }

  it('applies shared properties an event declares, and its own section, with their types from the schema', () => {
    const b = bound({ properties: { method: 'method', mfa: 'mfa', currency: { value: 'EUR' } }, events: { invoice_paid: { schemaVersion: 2, properties: { amountCents: 'amount', invoiceId: 'invoice' } } } })
    const login = eventPlan(b, 'user_login', fieldsOf('user_login'))
    expect(login.plan!.properties.map((p) => [p.name, p.column ?? p.constant, p.type.kind])).toEqual([
      ['method', 'method', 'enum'],
      ['mfa', 'mfa', 'boolean'],
    ])
    expect([...login.plan!.usedColumns]).toEqual([3, 4])
    const paid = eventPlan(b, 'invoice_paid', fieldsOf('invoice_paid'))
    expect(paid.plan).toMatchObject({ event: 'invoice_paid', schemaVersion: 2 })
    expect(paid.plan!.properties.map((p) => [p.name, p.column ?? p.constant])).toEqual([
      ['currency', 'EUR'],
      ['amountCents', 'amount'],
      ['invoiceId', 'invoice'],
    ])
  })

  it('refuses properties an event does not declare where they must apply, and required properties left out', () => {
    const b = bound({ properties: { method: 'method' }, events: { invoice_paid: { properties: { amount: 'amount' } } } })
    expect(eventPlan(b, 'invoice_paid', fieldsOf('invoice_paid')).problems.map(formatProblem)).toEqual([
      'events.invoice_paid.properties.amount: event "invoice_paid" declares no property amount; its properties are invoiceId, amountCents, currency, dueDate, daysLate',
      'events.invoice_paid: event "invoice_paid" requires invoiceId (string), amountCents (long), currency (string), which the mapping does not give',
    ])
    const one = bound({ event: { value: 'user_login' }, properties: { method: 'method', plan: 'amount' } })
    expect(eventPlan(one, 'user_login', fieldsOf('user_login')).problems.map(formatProblem)).toEqual([
      'properties.plan: event "user_login" declares no property plan; its properties are method, mfa',
    ])
    expect(eventPlan(bound({}), 'user_login', fieldsOf('user_login')).problems.map(formatProblem)).toEqual([
      'properties: event "user_login" requires method (enum LoginMethod), which the mapping does not give; map it under properties or events.user_login.properties',
    ])
  })

  it('converts constant values and values targets once, refusing those that are no value of the property', () => {
    const b = bound({ properties: { method: { column: 'method', values: { sso: 'SSO', pw: 'Password' } }, mfa: { value: 'perhaps' } } })
    expect(eventPlan(b, 'user_login', fieldsOf('user_login')).problems.map(formatProblem)).toEqual([
      'properties.method.values.pw: "Password" is no value of method (enum LoginMethod): expected one of the symbols of enum LoginMethod: PASSWORD, SSO, MAGIC_LINK, API_TOKEN, OTHER (exactly, case included)',
      'properties.mfa.value: "perhaps" is no value of mfa (boolean): expected a boolean: true or false (also yes/no, y/n, t/f, 1/0, in any case)',
    ])
    const fine = eventPlan(bound({ properties: { method: { value: 'SSO' }, mfa: { value: true } } }), 'user_login', fieldsOf('user_login'))
    expect(fine.plan!.properties.map((p) => [p.name, p.constant])).toEqual([
      ['method', 'SSO'],
      ['mfa', true],
    ])
    // An empty constant for a property with a default leaves it out, so the default applies.
    const dflt = eventPlan(bound({ properties: { method: { value: 'SSO' }, mfa: { value: null } } }), 'user_login', fieldsOf('user_login'))
    expect(dflt.plan!.properties.map((p) => p.name)).toEqual(['method'])
  })
})
