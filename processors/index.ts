import type { ClickHouseClient } from '@clickhouse/client'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { Queue } from 'bullmq'
import type { Consumer, Kafka, KafkaMessage, Message, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { startBatchConsumer, type PausedPartition, type RetryPolicy } from './batch-consumer.js'
import { storeEvents, type DecodedEvent } from './event-store.js'
import { dropStoredDuplicates, splitForVerification } from './stored-duplicates.js'
import { describeFailure, isPoison } from './failure-kinds.js'
import { chTime } from './clickhouse-time.js'
import { toEventRow, type EventRow } from './event-row.js'
import { typedRow, type TypedTables } from './typed-tables.js'
import { markForScoring, type ScoringQueue } from './scoring/scoring-queue.js'

export { startDriftProcessor } from './drift-processor.js'
export { TypedTables } from './typed-tables.js'
export type { PausedPartition, RetryPolicy } from './batch-consumer.js'

export interface EventProcessorDeps {
  kafka: Kafka
  topic: string
  groupId: string
  registry: SchemaRegistry
  clickhouse: ClickHouseClient
  scoringQueue: ScoringQueue
  scoringDebounceMs: number
  /** Where records that can never be stored go, with the reason in their headers. */
  dlqTopic: string
  dlqProducer: Producer
  /** Typed per-event tables; without it only the unified `events` table is written. */
  typedTables?: TypedTables
  /** Backoff while a dependency is away; 250 ms doubling to 30 s by default. */
  retry?: RetryPolicy
  /** Size-or-time batching of the fetch (see startBatchConsumer); kafkajs defaults when absent. */
  batch?: { minBytes: number; maxWaitMs: number }
  logger?: Logger
}

/**
 * Consumes accepted events into ClickHouse. Offsets are committed only after ClickHouse accepted the rows,
 * the accounts' scoring jobs are queued and unreadable or unstorable records are in the dead-letter topic,
 * so a crash replays rather than loses; insert deduplication and the ReplacingMergeTree drop what a replay
 * writes twice. While ClickHouse, Redis, the registry or Kafka is away the partition pauses and retries
 * with backoff (see startBatchConsumer).
 */
export async function startEventProcessor(deps: EventProcessorDeps): Promise<{ consumer: Consumer; paused: () => PausedPartition[]; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'processor' })
  return startBatchConsumer({
    kafka: deps.kafka,
    topic: deps.topic,
    groupId: deps.groupId,
    retry: deps.retry,
    batch: deps.batch,
    onPause: (p) => log?.warn({ partition: p.partition, attempts: p.attempts, retryInMs: p.retryInMs, err: describeFailure(p.error) }, 'storage unavailable: partition paused, nothing committed; retrying'),
    onResume: (p) => log?.info({ partition: p.partition, attempts: p.attempts, pausedMs: p.pausedMs }, 'storage back: partition resumed'),
    handle: async (batch) => {
      const receivedAt = chTime(new Date())
      const decoded: DecodedEvent[] = []
      const deadLetters: Message[] = []
      for (const message of batch.messages) {
        let row: EventRow
        let properties: Record<string, unknown>
        try {
          if (!message.value) throw new Error('record has no value')
          properties = (await deps.registry.decode(message.value)) as Record<string, unknown>
          row = toEventRow(message, properties, receivedAt)
        } catch (err) {
          // A registry that is down is a reason to retry the batch; a record that cannot be read never will be.
          if (!isPoison(err)) throw err
          deadLetters.push(deadLetter(message, batch.topic, batch.partition, err as Error))
          continue
        }
        // Failing here means the registry or ClickHouse DDL is away: thrown, so the partition pauses and retries.
        const target = await deps.typedTables?.forSchema(row.event, row.schema_id)
        const envelope = { messageId: row.message_id, accountId: row.account_id, userId: row.user_id, timestamp: row.timestamp, receivedAt: row.received_at, schemaId: row.schema_id }
        decoded.push({ message, row, typed: target && { table: target.table, row: typedRow(envelope, target.schema, properties) } })
      }
      // The events the gateway vouches for are stored (and their accounts marked for scoring) without waiting
      // for the check of the marked ones: that check is a query, and chDB runs a process's parameterized
      // queries one at a time, so it would wait its turn behind the scoring passes' reads (bench/freshness.ts).
      const { vouched, marked } = splitForVerification(decoded)
      let rows = 0
      const store = async (events: DecodedEvent[]) => {
        const { stored, refused } = await storeEvents(deps.clickhouse, events, batch)
        for (const { event, error } of refused) {
          deadLetters.push(deadLetter(event.message, batch.topic, batch.partition, new Error(`ClickHouse refused the row: ${describeFailure(error)}`)))
        }
        if (stored.length) await markForScoring(deps.scoringQueue, stored.map((e) => e.row.account_id), deps.scoringDebounceMs)
        rows += stored.length
      }
      const verifyAndStore = async () => {
        const { fresh, duplicates } = await dropStoredDuplicates(deps.clickhouse, marked, vouched)
        if (duplicates) log?.debug({ partition: batch.partition, duplicates }, 'events already stored were dropped')
        await store(fresh)
      }
      // Both run to their end before a failure is thrown, so a retry never overlaps an insert still running.
      const failed = (await Promise.allSettled([store(vouched), verifyAndStore()])).find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
      if (deadLetters.length) {
        await deps.dlqProducer.send({ topic: deps.dlqTopic, acks: -1, messages: deadLetters })
        log?.warn({ partition: batch.partition, count: deadLetters.length, reason: deadLetters[0].headers?.pulse_dlq_reason }, 'records sent to the dead-letter topic')
      }
      log?.debug({ partition: batch.partition, rows }, 'batch stored')
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
