import { describe, expect, it } from 'vitest'
import { cloudEventHeaders } from '../../gateway/cloudevents.js'
import { chTime } from '../../processors/clickhouse-time.js'
import { toEventRow } from '../../processors/event-row.js'

describe('CloudEvents headers → events row', () => {
  const event = { event: 'feature_used', messageId: 'm-1', accountId: 'acct_1', userId: 'u_1', timestamp: '2026-11-22T09:00:00.000Z', properties: {} }

  it('carries the envelope through Kafka headers', () => {
    const headers = cloudEventHeaders(event, { source: '/pulse/gateway/keys/web', schemaId: 7 })
    expect(headers).toMatchObject({ ce_specversion: '1.0', ce_id: 'm-1', ce_type: 'feature_used', ce_time: event.timestamp, ce_accountid: 'acct_1', ce_userid: 'u_1' })
    const value = Buffer.from([0, 0, 0, 0, 7, 2])
    const kafkaHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]))
    const row = toEventRow({ offset: '5', value, headers: kafkaHeaders } as never, { feature: 'x', blob: Buffer.from('hi') }, chTime(new Date('2026-11-22T09:00:01Z')))
    expect(row).toEqual({
      message_id: 'm-1',
      event: 'feature_used',
      schema_id: 7,
      account_id: 'acct_1',
      user_id: 'u_1',
      timestamp: '2026-11-22 09:00:00.000',
      received_at: '2026-11-22 09:00:01.000',
      source: '/pulse/gateway/keys/web',
      properties: '{"feature":"x","blob":"aGk="}',
    })
  })

  it('normalises any ISO-8601 event time to UTC', () => {
    const at = (ce_time: string) => toEventRow({ offset: '1', value: Buffer.alloc(5), headers: { ce_id: 'm', ce_type: 'e', ce_accountid: 'a', ce_time: Buffer.from(ce_time) } } as never, {}, '2026-11-22 00:00:00.000').timestamp
    expect(at('2026-11-22T09:00:00.123Z')).toBe('2026-11-22 09:00:00.123')
    expect(at('2026-11-22T11:00:00+02:00')).toBe('2026-11-22 09:00:00.000')
    expect(at('2026-11-22T09:00:00Z')).toBe('2026-11-22 09:00:00.000')
  })

  it('keeps properties without bytes as plain JSON', () => {
    const row = toEventRow({ offset: '1', value: Buffer.alloc(5), headers: { ce_id: 'm', ce_type: 'e', ce_accountid: 'a', ce_time: '2026-11-22T09:00:00.000Z' } } as never, { n: 1, nested: { type: 'x' } }, 'now')
    expect(row.properties).toBe('{"n":1,"nested":{"type":"x"}}')
    expect(row.source).toBe('')
    expect(row.user_id).toBeNull()
  })

  it('refuses a record without the envelope headers', () => {
    expect(() => toEventRow({ offset: '9', value: Buffer.alloc(5), headers: {} } as never, {}, chTime(new Date()))).toThrow(/offset 9 lacks CloudEvents header/)
  })
})
