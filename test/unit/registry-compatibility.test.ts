import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { compatibilityReasons } from '../../registry/compatibility.js'
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
    expect(reason).toMatch(/cannot read data written with version 1/)
    expect(reason).toMatch(/seats/)
  })

  it('FORWARD refuses removing a field old readers require', () => {
    expect(compatibilityReasons('FORWARD', t(dropped), history)[0]).toMatch(/consumers on version 1/)
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
