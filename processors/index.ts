import type { ClickHouseClient } from '@clickhouse/client'
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { Queue } from 'bullmq'
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { toEventRow } from './event-row.js'
import { enqueueScoring, type ScoringJob } from './scoring-queue.js'

export { createScoringQueue, enqueueScoring } from './scoring-queue.js'
export { startScoringWorker, scoreAccount } from './scoring-worker.js'
export { createScoreEvents } from './score-events.js'
export { startDriftProcessor } from './drift-processor.js'

export interface EventProcessorDeps {
  kafka: Kafka
  topic: string
  groupId: string
  registry: SchemaRegistry
  clickhouse: ClickHouseClient
  scoringQueue: Queue<ScoringJob>
  scoringDebounceMs: number
  logger?: Logger
}

/**
 * Consumes accepted events into ClickHouse. Offsets are committed only after ClickHouse accepted the rows
 * and the accounts' scoring jobs are queued, so a crash replays rather than loses; the ReplacingMergeTree
 * collapses what a replay writes twice.
 */
export async function startEventProcessor(deps: EventProcessorDeps): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'processor' })
  // A shorter session than kafkajs's 30 s default: after a crash, the dead member's partitions move on sooner.
  const consumer = deps.kafka.consumer({ groupId: deps.groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000 })
  await consumer.connect()
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      if (!batch.messages.length || !isRunning() || isStale()) return
      const receivedAt = new Date()
      const rows = []
      for (const message of batch.messages) {
        if (!message.value) continue
        const properties = await deps.registry.decode(message.value)
        rows.push(toEventRow(message, properties, receivedAt))
      }
      if (rows.length) {
        // The same Kafka range inserted again (a replay after a crash before the commit) is dropped by ClickHouse.
        const token = `${batch.topic}/${batch.partition}/${batch.firstOffset()}-${batch.lastOffset()}`
        await deps.clickhouse.insert({ table: 'events', values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } })
        await enqueueScoring(deps.scoringQueue, rows.map((r) => r.account_id), deps.scoringDebounceMs)
      }
      // Resolving moves this consumer's fetch position past the batch; committing makes that survive a crash.
      resolveOffset(batch.lastOffset())
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }])
      await heartbeat()
      log?.debug({ partition: batch.partition, rows: rows.length }, 'batch stored')
    },
  })
  return { consumer, stop: () => consumer.disconnect() }
}
