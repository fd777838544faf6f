import avro from 'avsc'
import { afterAll, describe, expect, it } from 'vitest'
import { TypedTables, typedColumns, typedRow } from '../../processors/typed-tables.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

const v1 = {
  type: 'record',
  name: 'Everything',
  namespace: 'dev.pulse.test',
  fields: [
    { name: 'flag', type: 'boolean' },
    { name: 'small', type: 'int' },
    { name: 'big', type: 'long' },
    { name: 'ratio', type: 'double' },
    { name: 'label', type: 'string' },
    { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['LOW', 'HIGH'] } },
    { name: 'maybe', type: ['null', 'string'], default: null },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: ['null', 'int'], default: null }] } },
    { name: 'either', type: ['null', 'string', 'long'], default: null },
  ],
}
const v2 = { ...v1, fields: [...v1.fields, { name: 'added', type: ['null', 'double'], default: null }] }

describe('typed event tables on embedded ClickHouse', () => {
  const client = createClickHouse({ dataDir: tempDir() })
  afterAll(() => client.close())
  const schemas: Record<number, unknown> = { 1: v1, 2: v2 }
  const tables = new TypedTables((sql) => client.command({ query: sql }), async (id) => JSON.stringify(schemas[id]))
  const envelope = (id: string, schemaId: number) => ({ messageId: id, accountId: 'a', userId: null, timestamp: '2026-11-22 10:00:00.000', receivedAt: '2026-11-22 10:00:01.000', schemaId })

  it('maps every Avro type to a column and stores a decoded record faithfully', async () => {
    expect(Object.fromEntries(typedColumns(v1 as never).map((c) => [c.name, c.type]))).toMatchObject({
      flag: 'Bool', small: 'Int32', big: 'Int64', ratio: 'Float64', label: 'String', tier: 'LowCardinality(String)',
      maybe: 'Nullable(String)', at: "DateTime64(3, 'UTC')", day: 'Date32', tags: 'Array(String)', counts: 'Map(String, Int64)',
      address: 'Tuple(city String, zip Nullable(Int32))', either: 'String',
    })
    const target = await tables.forSchema('everything', 1)
    expect(target?.table).toBe('events_everything')
    // Through avsc like the processor: encode then decode.
    const type = avro.Type.forSchema(v1 as never)
    const value = type.fromBuffer(type.toBuffer({
      flag: true, small: 7, big: 9_007_199_254_740_000, ratio: 0.5, label: 'x', tier: 'HIGH', maybe: null, at: Date.parse('2026-11-22T09:30:00.123Z'),
      day: 20_414, tags: ['a', 'b'], counts: { k: 3 }, address: { city: 'Lyon', zip: 69001 }, either: 5,
    }))
    await client.insert({ table: 'events_everything', values: [typedRow(envelope('m1', 1), v1 as never, value)], format: 'JSONEachRow' })
    const rs = await client.query({ query: "SELECT flag, small, toString(big) AS big, ratio, tier, maybe, toString(at) AS at, toString(day) AS day, tags, counts, address, either FROM events_everything", format: 'JSONEachRow' })
    expect((await rs.json())[0]).toEqual({
      flag: true, small: 7, big: '9007199254740000', ratio: 0.5, tier: 'HIGH', maybe: null, at: '2026-11-22 09:30:00.123', day: '2025-11-22',
      tags: ['a', 'b'], counts: { k: 3 }, address: { city: 'Lyon', zip: 69001 }, either: '5',
    })
  })

  it('adds the columns of a compatible new version; older rows read defaults', async () => {
    const target = await tables.forSchema('everything', 2)
    const type = avro.Type.forSchema(v2 as never)
    const value = type.fromBuffer(type.toBuffer({ flag: false, small: 1, big: 1, ratio: 1, label: 'y', tier: 'LOW', at: 0, day: 0, tags: [], counts: {}, address: { city: 'Nice' }, added: 2.5 }))
    await client.insert({ table: target!.table, values: [typedRow(envelope('m2', 2), v2 as never, value)], format: 'JSONEachRow' })
    const rs = await client.query({ query: 'SELECT _message_id, _schema_id, added FROM events_everything ORDER BY _message_id', format: 'JSONEachRow' })
    expect(await rs.json()).toEqual([
      { _message_id: 'm1', _schema_id: 1, added: null },
      { _message_id: 'm2', _schema_id: 2, added: 2.5 },
    ])
  })
})
