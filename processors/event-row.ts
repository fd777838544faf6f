import type { KafkaMessage } from 'kafkajs'
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

type Headers = KafkaMessage['headers']

function header(headers: Headers, name: string): string | undefined {
  const v = headers?.[name]
  const one = Array.isArray(v) ? v[0] : v
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one)
}

const UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** An ISO-8601 time as ClickHouse DateTime64(3) text in UTC; the common `…T…\.mmmZ` form without a Date. */
function utcTime(iso: string): string {
  return UTC_ISO.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : chTime(new Date(iso))
}

/** Avro bytes/fixed decode to Buffers; keep them readable as base64 rather than a byte array. */
function base64Buffers(_key: string, v: any): unknown {
  return v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v
}

/**
 * Pure: one Kafka record (CloudEvents headers + decoded Avro properties) as an `events` row. `receivedAt` is
 * ClickHouse time text, formatted once per batch. Only the headers the row needs are read, and the
 * properties are stringified without a replacer unless they hold bytes: this runs once per event
 * (bench/processor.ts profile).
 */
export function toEventRow(message: KafkaMessage, properties: unknown, receivedAt: string): EventRow {
  const h = message.headers
  const id = header(h, 'ce_id')
  const type = header(h, 'ce_type')
  const time = header(h, 'ce_time')
  const accountId = header(h, 'ce_accountid')
  if (!id || !type || !time || !accountId) {
    const missing = (['ce_id', 'ce_type', 'ce_time', 'ce_accountid'] as const).filter((k) => !header(h, k))
    throw new Error(`record at offset ${message.offset} lacks CloudEvents header(s) ${missing.join(', ')}`)
  }
  const json = JSON.stringify(properties)
  return {
    message_id: id,
    event: type,
    schema_id: message.value ? message.value.readUInt32BE(1) : 0,
    account_id: accountId,
    user_id: header(h, 'ce_userid') ?? null,
    timestamp: utcTime(time),
    received_at: receivedAt,
    source: header(h, 'ce_source') ?? '',
    properties: json.includes('"type":"Buffer"') ? JSON.stringify(properties, base64Buffers) : json,
  }
}
