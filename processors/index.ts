import type { ClickHouseClient } from '@clickhouse/client'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { Queue } from 'bullmq'
import type { Batch, Kafka, KafkaMessage, Message, Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { startBatchConsumer, type PausedPartition, type RetryPolicy } from './batch-consumer.js'
import type { DecodedEvent } from './event-store.js'
import { groupedStore } from './grouped-store.js'
import { dropStoredDuplicates, heldOutside, splitForVerification } from './stored-duplicates.js'
import { describeFailure, isPoison } from './failure-kinds.js'
import { chTime } from './clickhouse-time.js'
import { toEventRow, type EventRow } from './event-row.js'
import { typedRow, type TypedTables } from './typed-tables.js'
import { markForScoring, type ScoringQueue } from './scoring/scoring-queue.js'
import type { ProcessorMetrics } from './processor-metrics.js'

export { startDriftProcessor } from './drift-processor.js'
export { TypedTables } from './typed-tables.js'
export { createProcessorMetrics, type ProcessorMetrics } from './processor-metrics.js'
export type { PausedPartition, RetryPolicy } from './batch-consumer.js'

/** Marked events are few (duplicates, ~2 % false positives of the gateway's filter) and can wait a little. */
const VERIFY_BATCH = { minBytes: 1_048_576, maxWaitMs: 3_000 }

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
  /** Where events the gateway marked for verification wait for their check against the store (see below). */
  verifyTopic: string
  /** Sends dead letters and parks marked events. */
  producer: Producer
  /** Typed per-event tables; without it only the unified `events` table is written. */
  typedTables?: TypedTables
  /** Backoff while a dependency is away; 250 ms doubling to 30 s by default. */
  retry?: RetryPolicy
  /** Size-or-time batching of the fetch (see startBatchConsumer); kafkajs defaults when absent. */
  batch?: { minBytes: number; maxWaitMs: number }
  logger?: Logger
  metrics?: ProcessorMetrics
}

/**
 * Consumes accepted events into ClickHouse. Offsets are committed only after ClickHouse accepted the rows,
 * the accounts' scoring jobs are queued and unreadable or unstorable records are in the dead-letter topic,
 * so a crash replays rather than loses; insert deduplication and the ReplacingMergeTree drop what a replay
 * writes twice. While ClickHouse, Redis, the registry or Kafka is away the partition pauses and retries
 * with backoff (see startBatchConsumer).
 *
 * Events the gateway marked for verification (its filter holds their messageId: a duplicate, or a false
 * positive) are not checked inside the batch: they are parked in the verify topic, whose own consumer checks
 * them against `events` and stores the new ones. The check is a query, and chDB runs a process's
 * parameterized queries one at a time, so inside the batch it waited its turn behind the scoring passes'
 * reads and held up every event after it (bench/freshness.ts at 5,000 events/s: a batch's handling ~450 →
 * ~200–250 ms).
 */
export async function startEventProcessor(deps: EventProcessorDeps): Promise<{ paused: () => PausedPartition[]; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'processor' })
  const metrics = deps.metrics
  const consume = (topic: string, groupId: string, batch: EventProcessorDeps['batch'], handle: (batch: Batch) => Promise<void>) =>
    startBatchConsumer({
      kafka: deps.kafka,
      topic,
      groupId,
      retry: deps.retry,
      batch,
      onPause: (p) => log?.warn({ topic: p.topic, partition: p.partition, attempts: p.attempts, retryInMs: p.retryInMs, err: describeFailure(p.error) }, 'storage unavailable: partition paused, nothing committed; retrying'),
      onResume: (p) => log?.info({ topic: p.topic, partition: p.partition, attempts: p.attempts, pausedMs: p.pausedMs }, 'storage back: partition resumed'),
      handle: metrics ? timed(handle, metrics) : handle,
    })

  /** Decodes a batch; records that can never be read become dead letters. */
  const decode = async (batch: Batch, deadLetters: Message[]): Promise<DecodedEvent[]> => {
    const receivedAt = chTime(new Date())
    const decoded: DecodedEvent[] = []
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
    return decoded
  }

  // The event and verify consumers' batches share it: whatever they hand over together goes in together.
  const storeBatch = groupedStore(deps.clickhouse)
  /** Stores events, queues their accounts' scoring and sends the dead letters. */
  const store = async (batch: Batch, events: DecodedEvent[], deadLetters: Message[]) => {
    const { stored, refused } = await storeBatch(events, batch)
    for (const { event, error } of refused) {
      deadLetters.push(deadLetter(event.message, batch.topic, batch.partition, new Error(`ClickHouse refused the row: ${describeFailure(error)}`)))
    }
    if (deadLetters.length) {
      await deps.producer.send({ topic: deps.dlqTopic, acks: -1, messages: deadLetters })
      metrics?.deadLettered.inc({ topic: batch.topic }, deadLetters.length)
      log?.warn({ topic: batch.topic, partition: batch.partition, count: deadLetters.length, reason: deadLetters[0].headers?.pulse_dlq_reason }, 'records sent to the dead-letter topic')
    }
    if (stored.length) await markForScoring(deps.scoringQueue, stored.map((e) => e.row.account_id), deps.scoringDebounceMs)
    // Counted last: a failure before this retries the batch, and its events would be counted twice.
    if (stored.length && metrics) {
      const now = Date.now()
      metrics.stored.inc({ topic: batch.topic }, stored.length)
      // Bound once: a label object per event would be ~1,000 allocations a batch.
      const delay = metrics.storeDelay.labels(batch.topic)
      for (const e of stored) delay.observe(Math.max(0, now - Number(e.message.timestamp)) / 1000)
    }
    log?.debug({ topic: batch.topic, partition: batch.partition, rows: stored.length }, 'batch stored')
  }

  const events = await consume(deps.topic, deps.groupId, deps.batch, async (batch) => {
    const deadLetters: Message[] = []
    const { vouched, marked } = splitForVerification(await decode(batch, deadLetters))
    // A marked copy of an event stored with this batch is dropped here: its check could run before that insert lands.
    const park = heldOutside(marked, vouched).map(({ message }) => ({ key: message.key, value: message.value, headers: message.headers, timestamp: message.timestamp }))
    // Both run to their end before a failure is thrown, so a retry never overlaps an insert still running.
    const parked = park.length ? deps.producer.send({ topic: deps.verifyTopic, acks: -1, messages: park }) : undefined
    const failed = (await Promise.allSettled([store(batch, vouched, deadLetters), parked])).find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  })
  // One partition (see platform/index.ts), so marked events are checked one batch after another, fetched every
  // VERIFY_BATCH.maxWaitMs at most: each insert writes a part to every table and view it reaches, and the
  // parts of small, frequent inserts cost the merges more CPU than moving the check saved. The price: a marked
  // event that is new after all (a false positive) is stored up to ~3 s later than the events around it.
  const verify = await consume(deps.verifyTopic, `${deps.groupId}.verify`, VERIFY_BATCH, async (batch) => {
    const deadLetters: Message[] = []
    const { fresh, duplicates } = await dropStoredDuplicates(deps.clickhouse, await decode(batch, deadLetters))
    if (duplicates) log?.debug({ partition: batch.partition, duplicates }, 'events already stored were dropped')
    await store(batch, fresh, deadLetters)
  })
  return {
    paused: () => [...events.paused(), ...verify.paused()],
    stop: async () => void (await Promise.all([events.stop(), verify.stop()])),
  }
}

/** Times each batch's handling, and counts the failed ones (the consumer pauses their partition and retries). */
function timed(handle: (batch: Batch) => Promise<void>, metrics: ProcessorMetrics): (batch: Batch) => Promise<void> {
  return async (batch) => {
    const end = metrics.batchDuration.startTimer({ topic: batch.topic })
    try {
      await handle(batch)
    } catch (err) {
      metrics.batchFailures.inc({ topic: batch.topic })
      throw err
    } finally {
      end()
    }
  }
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
