import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { compatibilityReasons, resolutionProblems } from '../../registry/compatibility.js'
import { schemaIdentity } from '../../registry/schema-identity.js'

const v1 = { type: 'record', name: 'Sub', fields: [{ name: 'plan', type: 'string' }] }
const withDefaulted = { ...v1, fields: [...v1.fields, { name: 'seats', type: 'int', default: 1 }] }
const withRequired = { ...v1, fields: [...v1.fields, { name: 'seats', type: 'int' }] }
const dropped = { ...v1, fields: [{ name: 'seats', type: 'int', default: 1 }] }
const t = (s: unknown) => avro.Type.forSchema(s as avro.Schema)

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
    forward: ['properties: renamed from Old to New (keep the name, or add the old one to "aliases")'],
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
