import type { ClickHouseClient } from '@clickhouse/client'
import type { KafkaMessage } from 'kafkajs'
import type { EventRow } from './event-row.js'
import { isUnstorable } from './failure-kinds.js'

/** One decoded record: its `events` row and, when its subject has one, its typed-table row. */
export interface DecodedEvent {
  message: KafkaMessage
  row: EventRow
  typed?: { table: string; row: Record<string, unknown> }
}

/** Where a batch came from: its Kafka topic and partition. */
export interface BatchSource {
  topic: string
  partition: number
}

export interface StoreResult {
  stored: DecodedEvent[]
  /** Records ClickHouse refused for what they hold; they will be refused again, so they are dead-lettered. */
  refused: { event: DecodedEvent; error: Error }[]
}

/**
 * Inserts one Kafka batch into the typed tables and `events`. Every insert carries a deduplication token
 * derived from the Kafka range, so a replay of the same range after a crash is dropped by ClickHouse.
 *
 * When ClickHouse refuses the batch because of a value in it, the records are inserted one by one to find
 * the refused ones: ClickHouse reports the failing row of a block but rejects the whole block, so isolating
 * is the only way to keep the rest. Any other failure is thrown: the caller pauses and retries.
 */
export async function storeEvents(clickhouse: ClickHouseClient, events: DecodedEvent[], where: BatchSource): Promise<StoreResult> {
  if (!events.length) return { stored: [], refused: [] }
  const range = kafkaRange(events, where)
  try {
    await insertAll(clickhouse, events, range)
    return { stored: events, refused: [] }
  } catch (err) {
    if (!isUnstorable(err)) throw err
  }
  const result: StoreResult = { stored: [], refused: [] }
  for (const event of events) {
    try {
      await insertAll(clickhouse, [event], `${where.topic}/${where.partition}/${event.message.offset}`)
      result.stored.push(event)
    } catch (err) {
      if (!isUnstorable(err)) throw err
      result.refused.push({ event, error: err as Error })
    }
  }
  return result
}

/** Where a batch's events came from, as its deduplication token: topic, partition and its first and last offset. */
export const kafkaRange = (events: DecodedEvent[], where: BatchSource) => `${where.topic}/${where.partition}/${events[0].message.offset}-${events.at(-1)!.message.offset}`

/**
 * The events' rows into their typed tables and `events`, one insert a table, each with `token` (and the
 * table's name) as its deduplication token. Typed tables first: a record refused there never reaches
 * `events`, so a refused record is stored nowhere.
 */
export async function insertAll(clickhouse: ClickHouseClient, events: DecodedEvent[], token: string): Promise<void> {
  const typed = new Map<string, Record<string, unknown>[]>()
  for (const e of events) {
    if (!e.typed) continue
    const list = typed.get(e.typed.table) ?? []
    list.push(e.typed.row)
    typed.set(e.typed.table, list)
  }
  for (const [table, values] of typed) {
    await clickhouse.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `${token}/${table}` } })
  }
  await clickhouse.insert({ table: 'events', values: events.map((e) => e.row), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } })
}
