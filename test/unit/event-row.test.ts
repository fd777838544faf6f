import { describe, expect, it } from 'vitest'
import { cloudEventHeaders } from '../../gateway/cloudevents.js'
import { toEventRow } from '../../processors/event-row.js'

describe('CloudEvents headers → events row', () => {
  const event = { event: 'feature_used', messageId: 'm-1', accountId: 'acct_1', userId: 'u_1', timestamp: '2026-11-22T09:00:00.000Z', properties: {} }

  it('carries the envelope through Kafka headers', () => {
    const headers = cloudEventHeaders(event, { source: '/pulse/gateway/keys/web', schemaId: 7 })
    expect(headers).toMatchObject({ ce_specversion: '1.0', ce_id: 'm-1', ce_type: 'feature_used', ce_time: event.timestamp, ce_accountid: 'acct_1', ce_userid: 'u_1' })
    const value = Buffer.from([0, 0, 0, 0, 7, 2])
    const kafkaHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]))
    const row = toEventRow({ offset: '5', value, headers: kafkaHeaders } as never, { feature: 'x', blob: Buffer.from('hi') }, new Date('2026-11-22T09:00:01Z'))
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

  it('refuses a record without the envelope headers', () => {
    expect(() => toEventRow({ offset: '9', value: Buffer.alloc(5), headers: {} } as never, {}, new Date())).toThrow(/offset 9 lacks CloudEvents header/)
  })
})
