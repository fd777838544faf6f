import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { findViolations } from '../../gateway/violations.js'
import { readCatalog } from '../../schemas/index.js'

const featureUsed = avro.Type.forSchema(JSON.parse(readCatalog().find((e) => e.subject === 'feature_used')!.schema))
const nested = avro.Type.forSchema({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'long' },
    { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['FREE', 'PRO'] } },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
    { name: 'buyer', type: ['null', { type: 'record', name: 'Buyer', fields: [{ name: 'email', type: 'string' }] }], default: null },
    { name: 'tags', type: { type: 'map', values: 'string' }, default: {} },
  ],
})

describe('findViolations', () => {
  it('accepts a valid payload, optional fields left out', () => {
    expect(findViolations(featureUsed, { feature: 'reports.export' })).toEqual([])
    expect(findViolations(featureUsed, { feature: 'reports.export', durationMs: 1200 })).toEqual([])
  })

  it('reports every violation, each with path, kind, expected and actual', () => {
    const v = findViolations(featureUsed, { durationMs: 'slow', color: 'blue' })
    expect(v.map(({ path, kind }) => ({ path, kind }))).toEqual([
      { path: 'properties.feature', kind: 'missing_field' },
      { path: 'properties.durationMs', kind: 'type_mismatch' },
      { path: 'properties.color', kind: 'unknown_field' },
    ])
    expect(v[1]).toMatchObject({ expected: 'null | long', actual: 'string "slow"' })
    expect(v[0].expected).toBe('string')
  })

  it('does not accept integers beyond 2^53 for a long', () => {
    const [v] = findViolations(featureUsed, { feature: 'x', durationMs: 2 ** 60 })
    expect(v).toMatchObject({ kind: 'type_mismatch', path: 'properties.durationMs' })
    expect(v.actual).toContain('beyond 2^53')
  })

  it('finds drift inside arrays, nullable records and maps', () => {
    const v = findViolations(nested, {
      id: 'o1',
      total: 1.5,
      plan: 'ENTERPRISE',
      lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: '2', color: 'red' }],
      buyer: { email: 'x@y.z', phone: '123' },
      tags: { a: 1 },
    })
    expect(v.map(({ path, kind }) => `${kind} ${path}`).sort()).toEqual([
      'type_mismatch properties.lines.1.qty',
      'type_mismatch properties.plan',
      'type_mismatch properties.tags.a',
      'type_mismatch properties.total',
      'unknown_field properties.buyer.phone',
      'unknown_field properties.lines.1.color',
    ])
    expect(v.find((x) => x.path === 'properties.plan')!.expected).toBe('enum Plan {FREE, PRO}')
  })
})
