import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { parseAvroSchema } from '../../registry/avro-schema.js'
import { compatibilityReasons, resolutionProblems } from '../../registry/compatibility.js'
import { SchemaStore } from '../../registry/schema-store.js'
import { schemaIdentity } from '../../registry/schema-identity.js'

const v1 = { type: 'record', name: 'Sub', fields: [{ name: 'plan', type: 'string' }] }
const withDefaulted = { ...v1, fields: [...v1.fields, { name: 'seats', type: 'int', default: 1 }] }
const withRequired = { ...v1, fields: [...v1.fields, { name: 'seats', type: 'int' }] }
const dropped = { ...v1, fields: [{ name: 'seats', type: 'int', default: 1 }] }
const t = (s: unknown) => parseAvroSchema(s)

describe('schemaIdentity', () => {
  it('ignores whitespace, key order and doc', () => {
    const a = schemaIdentity(JSON.parse('{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'))
    const b = schemaIdentity({ fields: [{ type: { type: 'int' }, doc: 'the x', name: 'x' }], name: 'A', doc: 'an A', type: 'record' })
    expect(a).toBe(b)
  })

  it('qualifies names the way the Parsing Canonical Form does', () => {
    const nested = { type: 'record', name: 'A', namespace: 'x.y', fields: [{ name: 'b', type: { type: 'enum', name: 'B', symbols: ['P'] } }, { name: 'c', type: 'B' }] }
    const qualified = { type: 'record', name: 'x.y.A', fields: [{ name: 'b', type: { type: 'enum', name: 'x.y.B', symbols: ['P'] } }, { name: 'c', type: 'x.y.B' }] }
    expect(schemaIdentity(nested)).toBe(schemaIdentity(qualified))
    expect(schemaIdentity({ ...nested, namespace: 'other' })).not.toBe(schemaIdentity(qualified))
  })

  it('keeps what changes resolution: defaults and logical types', () => {
    const base = { type: 'record', name: 'A', fields: [{ name: 'x', type: 'int' }] }
    expect(schemaIdentity(base)).not.toBe(schemaIdentity({ ...base, fields: [{ name: 'x', type: 'int', default: 0 }] }))
    expect(schemaIdentity({ type: 'long' })).not.toBe(schemaIdentity({ type: 'long', logicalType: 'timestamp-millis' }))
  })
})

describe('compatibilityReasons', () => {
  const history = [{ version: 1, type: t(v1) }]

  it('BACKWARD allows a field added with a default, not one without', () => {
    expect(compatibilityReasons('BACKWARD', t(withDefaulted), history)).toEqual([])
    const [reason] = compatibilityReasons('BACKWARD', t(withRequired), history)
    expect(reason).toBe('properties.seats: field added without a default — the new schema cannot read events written with version 1')
  })

  it('FORWARD refuses removing a field old readers require', () => {
    expect(compatibilityReasons('FORWARD', t(dropped), history)).toEqual([
      'properties.plan: field removed, and version 1 has no default for it — consumers on version 1 can no longer read new events',
    ])
    expect(compatibilityReasons('BACKWARD', t(dropped), history)).toEqual([])
  })

  it('FULL needs both directions; NONE needs nothing', () => {
    expect(compatibilityReasons('FULL', t(withDefaulted), history)).toEqual([])
    expect(compatibilityReasons('FULL', t(dropped), history)).toHaveLength(1)
    expect(compatibilityReasons('NONE', t(withRequired), history)).toEqual([])
  })

  it('transitive levels check every version, plain ones only the latest', () => {
    const longHistory = [{ version: 1, type: t(v1) }, { version: 2, type: t(dropped) }]
    const candidate = t({ ...v1, fields: [{ name: 'seats', type: 'int', default: 1 }, { name: 'mrr', type: 'long' }] })
    expect(compatibilityReasons('BACKWARD', t(dropped), longHistory)).toEqual([])
    expect(compatibilityReasons('BACKWARD', candidate, longHistory)).toHaveLength(1)
    expect(compatibilityReasons('BACKWARD_TRANSITIVE', candidate, longHistory)).toHaveLength(2)
  })
})

const record = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'record', name, fields, ...extra })
const addressV1 = record('Address', [{ name: 'city', type: 'string' }, { name: 'zip', type: 'int' }])

/** Pairs of (old, new) schemas with the reasons BACKWARD and FORWARD must give, nested and union cases included. */
const CASES: { name: string; old: unknown; next: unknown; backward: string[]; forward: string[] }[] = [
  {
    name: 'numeric promotion int → long',
    old: record('R', [{ name: 'n', type: 'int' }]),
    next: record('R', [{ name: 'n', type: 'long' }]),
    backward: [],
    forward: ['properties.n: type changed from int to long'],
  },
  {
    name: 'string ↔ bytes',
    old: record('R', [{ name: 'b', type: 'string' }]),
    next: record('R', [{ name: 'b', type: 'bytes' }]),
    backward: [],
    forward: [],
  },
  {
    name: 'nested record field type change',
    old: record('R', [{ name: 'address', type: addressV1 }]),
    next: record('R', [{ name: 'address', type: record('Address', [{ name: 'city', type: 'string' }, { name: 'zip', type: 'string' }]) }]),
    backward: ['properties.address.zip: type changed from int to string'],
    forward: ['properties.address.zip: type changed from int to string'],
  },
  {
    name: 'field inside an array of records added without default',
    old: record('R', [{ name: 'lines', type: { type: 'array', items: record('Line', [{ name: 'sku', type: 'string' }]) } }]),
    next: record('R', [{ name: 'lines', type: { type: 'array', items: record('Line', [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }]) } }]),
    backward: ['properties.lines[].qty: field added without a default'],
    forward: [],
  },
  {
    name: 'union branch removed and added',
    old: record('R', [{ name: 'v', type: ['null', 'string', 'int'] }]),
    next: record('R', [{ name: 'v', type: ['null', 'string', 'boolean'] }]),
    backward: ['properties.v: union branch int removed'],
    forward: ['properties.v: union branch boolean added'],
  },
  {
    name: 'record inside a nullable union changes',
    old: record('R', [{ name: 'buyer', type: ['null', record('Buyer', [{ name: 'email', type: 'string' }])], default: null }]),
    next: record('R', [{ name: 'buyer', type: ['null', record('Buyer', [{ name: 'email', type: 'string' }, { name: 'vip', type: 'boolean' }])], default: null }]),
    backward: ['properties.buyer.vip: field added without a default'],
    forward: [],
  },
  {
    name: 'making a field nullable',
    old: record('R', [{ name: 'plan', type: 'string' }]),
    next: record('R', [{ name: 'plan', type: ['null', 'string'], default: null }]),
    backward: [],
    forward: ['properties.plan: union branch null added'],
  },
  {
    name: 'enum symbol added without default, then with one',
    old: record('R', [{ name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['A', 'B'] } }]),
    next: record('R', [{ name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['A', 'B', 'C'] } }]),
    backward: [],
    forward: ['properties.tier: enum symbol C added, and version 1 has no enum default'],
  },
  {
    name: 'enum symbol removed',
    old: record('R', [{ name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['A', 'B'] } }]),
    next: record('R', [{ name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['A'] } }]),
    backward: ['properties.tier: enum symbol B removed, and the new schema has no enum default'],
    forward: [],
  },
  {
    name: 'map values and fixed size',
    old: record('R', [{ name: 'm', type: { type: 'map', values: 'long' } }, { name: 'h', type: { type: 'fixed', name: 'H', size: 8 } }]),
    next: record('R', [{ name: 'm', type: { type: 'map', values: 'int' } }, { name: 'h', type: { type: 'fixed', name: 'H', size: 16 } }]),
    backward: ['properties.m{}: type changed from long to int', 'properties.h: fixed size changed from 8 to 16'],
    forward: ['properties.h: fixed size changed from 8 to 16'],
  },
  {
    name: 'renamed record with and without alias',
    old: record('Old', [{ name: 'x', type: 'int' }]),
    next: record('New', [{ name: 'x', type: 'int' }], { aliases: ['Old'] }),
    backward: [],
    forward: ['properties: renamed from Old to New, and version 1 has no alias for the new name'],
  },
  {
    name: 'field renamed with an alias',
    old: record('R', [{ name: 'mrr', type: 'long' }]),
    next: record('R', [{ name: 'mrrCents', type: 'long', aliases: ['mrr'] }]),
    backward: [],
    forward: ['properties.mrr: field removed, and version 1 has no default for it'],
  },
]

describe('compatibility reasons for nested and union changes', () => {
  const strip = (reasons: string[]) => reasons.map((r) => r.replace(/ — .*$/, ''))
  for (const c of CASES) {
    it(c.name, () => {
      const history = [{ version: 1, type: t(c.old) }]
      expect(strip(compatibilityReasons('BACKWARD', t(c.next), history))).toEqual(c.backward)
      expect(strip(compatibilityReasons('FORWARD', t(c.next), history))).toEqual(c.forward)
      expect(strip(compatibilityReasons('FULL', t(c.next), history))).toEqual([...c.backward, ...c.forward])
    })
  }

  it('agrees with avsc\'s resolver on every case, both directions', () => {
    for (const c of CASES) {
      for (const [reader, writer] of [[c.next, c.old], [c.old, c.next]]) {
        let avscOk = true
        try {
          t(reader).createResolver(t(writer))
        } catch {
          avscOk = false
        }
        expect(resolutionProblems(t(reader), t(writer)).length === 0, `${c.name}`).toBe(avscOk)
      }
    }
  })
})

/**
 * Where Pulse used to be stricter than Avro's Java implementation (and so Confluent's registry):
 * test/integration/avro-java-compat.test.ts checks the verdicts against Java; these pin the messages.
 */
describe('verdicts as Avro 1.12 gives them', () => {
  const reasons = (level: 'BACKWARD' | 'FORWARD' | 'FULL', next: unknown, old: unknown) =>
    compatibilityReasons(level, t(next), [{ version: 1, type: t(old) }])
  const plan = (extra: Record<string, unknown>, fields: unknown[] = [{ name: 'code', type: 'string' }]) => record('Plan', fields, extra)
  const withTier = [{ name: 'code', type: 'string' }, { name: 'tier', type: 'int' }]

  describe('named types match by their unqualified name', () => {
    it('a record, enum or fixed may change or drop its namespace', () => {
      expect(reasons('FULL', plan({ namespace: 'billing' }), plan({ namespace: 'acme' }))).toEqual([])
      expect(reasons('FULL', plan({}), plan({ namespace: 'acme' }))).toEqual([])
      expect(reasons('FULL', { type: 'enum', name: 'billing.Tier', symbols: ['FREE'] }, { type: 'enum', name: 'acme.Tier', symbols: ['FREE'] })).toEqual([])
      expect(reasons('FULL', { type: 'fixed', name: 'billing.Hash', size: 16 }, { type: 'fixed', name: 'acme.Hash', size: 16 })).toEqual([])
    })

    it('so may a union branch, and a nested type that inherits the namespace', () => {
      expect(reasons('FULL', ['null', plan({ namespace: 'billing' })], ['null', plan({ namespace: 'acme' })])).toEqual([])
      const sub = (namespace: string) => record('Sub', [{ name: 'plan', type: plan({}) }], { namespace })
      expect(reasons('FULL', sub('billing'), sub('acme'))).toEqual([])
    })

    it('what changes inside is still told with its path', () => {
      expect(reasons('BACKWARD', ['null', plan({ namespace: 'billing' }, withTier)], ['null', plan({ namespace: 'acme' })])).toEqual([
        'properties.tier: field added without a default — the new schema cannot read events written with version 1',
      ])
    })

    it('a new short name still needs the old full name among the aliases', () => {
      const renamed = record('PricePlan', [{ name: 'code', type: 'string' }], { namespace: 'billing', aliases: ['Plan'] })
      expect(reasons('BACKWARD', renamed, plan({ namespace: 'acme' }))).toEqual([
        'properties: renamed from acme.Plan to billing.PricePlan (keep the name, or add "acme.Plan" to "aliases") — the new schema cannot read events written with version 1',
      ])
      expect(reasons('BACKWARD', { ...renamed, aliases: ['acme.Plan'] }, plan({ namespace: 'acme' }))).toEqual([])
    })
  })

  describe('a union default may be a value of any branch, the first it fits', () => {
    const old = record('Sub', [{ name: 'plan', type: 'string' }])
    const coupon = record('Sub', [{ name: 'plan', type: 'string' }, { name: 'coupon', type: ['string', 'null'], default: null }])
    const seats = record('Sub', [{ name: 'plan', type: 'string' }, { name: 'seats', type: ['null', 'int'], default: 5 }])

    it('accepts null on ["string","null"] and 5 on ["null","int"], and reads old events with them', () => {
      expect(reasons('FULL', coupon, old)).toEqual([])
      expect(reasons('FULL', seats, old)).toEqual([])
      const written = t(old).toBuffer({ plan: 'pro' })
      const readAs = (reader: avro.Type) => reader.fromBuffer(written, reader.createResolver(t(old)))
      expect(readAs(t(coupon))).toMatchObject({ plan: 'pro', coupon: null })
      expect(readAs(t(seats))).toMatchObject({ plan: 'pro', seats: 5 })
    })

    it('takes the first branch the default fits, in wrapped unions too', () => {
      const ambiguous = t(record('R', [{ name: 'n', type: ['null', 'int', 'long'], default: 7 }]))
      expect((ambiguous as any).fields[0].type.typeName).toBe('union:wrapped')
      expect((ambiguous as any).fields[0].defaultValue()).toEqual({ int: 7 })
    })

    it('refuses a default that fits no branch, naming the field', () => {
      const bad = record('Sub', [{ name: 'plan', type: 'string' }, { name: 'seats', type: ['null', 'int'], default: 'five' }])
      expect(() => t(bad)).toThrow('the default of field seats of record Sub, "five", fits no branch of its union ["null", "int"]')
      const store = SchemaStore.open()
      expect(() => store.register('sub', JSON.stringify(bad))).toThrow(
        'Invalid schema: the default of field seats of record Sub, "five", fits no branch of its union ["null", "int"]',
      )
      store.close()
    })

    it('still refuses bad defaults that are not unions, and unions inside defaults that fit nothing', () => {
      expect(() => t(record('Sub', [{ name: 'seats', type: 'int', default: 'five' }]))).toThrow('incompatible field default "five"')
      const marks = record('Sub', [{ name: 'marks', type: { type: 'array', items: ['null', 'int'] }, default: [null, 'x'] }])
      expect(() => t(marks)).toThrow('"x" in a default fits no branch of the union ["null", "int"]')
    })
  })

  describe('a reader union reads with any branch that fits', () => {
    const legacy = record('LegacyPlan', [{ name: 'code', type: 'string' }], { aliases: ['Plan'] })

    it('the aliased branch reads the writer where the same-named one cannot', () => {
      expect(reasons('BACKWARD', [plan({}, withTier), legacy], plan({}))).toEqual([])
      expect(reasons('BACKWARD', ['null', plan({}, withTier), legacy], ['null', plan({})])).toEqual([])
    })

    it('when no branch fits, the same-named branch tells why', () => {
      const broken = { ...legacy, fields: [{ name: 'code', type: 'long' }] }
      expect(reasons('BACKWARD', [plan({}, withTier), broken], plan({}))).toEqual([
        'properties.tier: field added without a default — the new schema cannot read events written with version 1',
      ])
    })
  })

  describe('decimals follow the specification, stricter than Java', () => {
    const amount = (precision: number, scale: number) => record('Invoice', [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision, scale } }])

    it('refuses a changed precision or scale, both ways', () => {
      expect(reasons('FULL', amount(10, 2), amount(8, 2))).toEqual([
        'properties.amount: decimal changed from decimal(8,2) to decimal(10,2) (decimals resolve only with the same precision and scale) — the new schema cannot read events written with version 1',
        'properties.amount: decimal changed from decimal(8,2) to decimal(10,2) (decimals resolve only with the same precision and scale) — consumers on version 1 can no longer read new events',
      ])
      expect(reasons('FULL', amount(8, 2), amount(8, 2))).toEqual([])
    })

    it('lets a decimal and plain bytes resolve, and ignores an invalid decimal', () => {
      expect(reasons('FULL', amount(8, 2), record('Invoice', [{ name: 'amount', type: 'bytes' }]))).toEqual([])
      expect(reasons('FULL', amount(4, 6), amount(8, 2))).toEqual([])
    })
  })
})
