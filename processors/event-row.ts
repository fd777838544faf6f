import type { KafkaMessage } from 'kafkajs'
import { readCloudEventHeaders } from '../gateway/cloudevents.js'
import { chTime } from './clickhouse-time.js'

/** A row of the ClickHouse `events` table. */
export interface EventRow {
  message_id: string
  event: string
  schema_id: number
  account_id: string
  user_id: string | null
  timestamp: string
  received_at: string
  source: string
  properties: string
}

/** Pure: one Kafka record (CloudEvents headers + decoded Avro properties) as an `events` row. */
export function toEventRow(message: KafkaMessage, properties: unknown, receivedAt: Date): EventRow {
  const h = readCloudEventHeaders(message.headers ?? {})
  const missing = ['ce_id', 'ce_type', 'ce_time', 'ce_accountid'].filter((k) => !h[k])
  if (missing.length) throw new Error(`record at offset ${message.offset} lacks CloudEvents header(s) ${missing.join(', ')}`)
  return {
    message_id: h.ce_id,
    event: h.ce_type,
    schema_id: message.value ? message.value.readUInt32BE(1) : 0,
    account_id: h.ce_accountid,
    user_id: h.ce_userid ?? null,
    timestamp: chTime(new Date(h.ce_time)),
    received_at: chTime(receivedAt),
    source: h.ce_source ?? '',
    properties: JSON.stringify(properties, (_k, v) =>
      // Avro bytes/fixed decode to Buffers; keep them readable as base64 rather than a byte array.
      v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v,
    ),
  }
}
