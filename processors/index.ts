import type { ClickHouseClient } from '@clickhouse/client'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { Queue } from 'bullmq'
import type { Consumer, Kafka, KafkaMessage, Message, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { startBatchConsumer } from './batch-consumer.js'
import { toEventRow } from './event-row.js'
import { typedRow, type TypedTables } from './typed-tables.js'
import { enqueueScoring, type ScoringJob } from './scoring-queue.js'

export { createScoringQueue, enqueueScoring } from './scoring-queue.js'
export { startScoringWorker, scoreAccount, scoreAccounts } from './scoring-worker.js'
export { createScoreEvents } from './score-events.js'
export { startDriftProcessor } from './drift-processor.js'
export { TypedTables } from './typed-tables.js'

export interface EventProcessorDeps {
  kafka: Kafka
  topic: string
  groupId: string
  registry: SchemaRegistry
  clickhouse: ClickHouseClient
  scoringQueue: Queue<ScoringJob>
  scoringDebounceMs: number
  /** Where records that can never be stored go, with the reason in their headers. */
  dlqTopic: string
  dlqProducer: Producer
  /** Typed per-event tables; without it only the unified `events` table is written. */
  typedTables?: TypedTables
  logger?: Logger
}

/**
 * Consumes accepted events into ClickHouse. Offsets are committed only after ClickHouse accepted the rows,
 * the accounts' scoring jobs are queued and unreadable records are in the dead-letter topic, so a crash
 * replays rather than loses; insert deduplication and the ReplacingMergeTree drop what a replay writes twice.
 */
export async function startEventProcessor(deps: EventProcessorDeps): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'processor' })
  return startBatchConsumer({
    kafka: deps.kafka,
    topic: deps.topic,
    groupId: deps.groupId,
    handle: async (batch) => {
      const receivedAt = new Date()
      const rows = []
      const typed = new Map<string, Record<string, unknown>[]>()
      const deadLetters: Message[] = []
      for (const message of batch.messages) {
        try {
          if (!message.value) throw new Error('record has no value')
          const properties = (await deps.registry.decode(message.value)) as Record<string, unknown>
          const row = toEventRow(message, properties, receivedAt)
          const target = await deps.typedTables?.forSchema(row.event, row.schema_id)
          if (target) {
            const envelope = { messageId: row.message_id, accountId: row.account_id, userId: row.user_id, timestamp: row.timestamp, receivedAt: row.received_at, schemaId: row.schema_id }
            const list = typed.get(target.table) ?? []
            list.push(typedRow(envelope, target.schema, properties))
            typed.set(target.table, list)
          }
          rows.push(row)
        } catch (err) {
          // A registry that is down is a reason to retry the batch; a record that cannot be read never will be.
          if (!isPoison(err)) throw err
          deadLetters.push(deadLetter(message, batch.topic, batch.partition, err as Error))
        }
      }
      if (deadLetters.length) {
        await deps.dlqProducer.send({ topic: deps.dlqTopic, acks: -1, messages: deadLetters })
        log?.warn({ partition: batch.partition, count: deadLetters.length, reason: deadLetters[0].headers?.pulse_dlq_reason }, 'records sent to the dead-letter topic')
      }
      if (rows.length) {
        // The same Kafka range inserted again (a replay after a crash before the commit) is dropped by ClickHouse.
        const token = `${batch.topic}/${batch.partition}/${batch.firstOffset()}-${batch.lastOffset()}`
        await deps.clickhouse.insert({ table: 'events', values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } })
        for (const [table, values] of typed) {
          await deps.clickhouse.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `${token}/${table}` } })
        }
        await enqueueScoring(deps.scoringQueue, rows.map((r) => r.account_id), deps.scoringDebounceMs)
      }
      log?.debug({ partition: batch.partition, rows: rows.length }, 'batch stored')
    },
  })
}

/** The record as it was, plus where it came from and why it could not be stored, in `pulse_dlq_*` headers. */
function deadLetter(m: KafkaMessage, topic: string, partition: number, err: Error): Message {
  return {
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
    headers: {
      ...(m.headers ?? {}),
      pulse_dlq_reason: err.message.slice(0, 1000),
      pulse_dlq_topic: topic,
      pulse_dlq_partition: String(partition),
      pulse_dlq_offset: m.offset,
      pulse_dlq_time: new Date().toISOString(),
    },
  } as Message
}

/** Whether decoding failed because of the record itself (dead-letter it) rather than the registry being away. */
export function isPoison(err: unknown): boolean {
  const e = err as { status?: number; code?: string; name?: string; cause?: { code?: string } }
  if (typeof e?.status === 'number') return e.status >= 400 && e.status < 500
  const code = e?.code ?? e?.cause?.code
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)) return false
  return !(e?.name === 'TypeError' && String((err as Error).message).includes('fetch failed'))
}
