import type { ClickHouseClient } from '@clickhouse/client'
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { DriftRecord } from '../gateway/drift.js'
import { chTime } from './clickhouse-time.js'

/** Moves the gateway's aggregated drift records into ClickHouse `schema_drift`, committing after each insert. */
export async function startDriftProcessor(deps: {
  kafka: Kafka
  topic: string
  groupId: string
  clickhouse: ClickHouseClient
  logger?: Logger
}): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'drift-processor' })
  const consumer = deps.kafka.consumer({ groupId: deps.groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000 })
  await consumer.connect()
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
      if (!batch.messages.length || !isRunning() || isStale()) return
      const rows = []
      for (const m of batch.messages) {
        try {
          const r = JSON.parse(m.value?.toString('utf8') ?? '') as DriftRecord
          rows.push({ ...r, time: chTime(new Date(r.time)) })
        } catch (err) {
          // A record that is not ours is diagnostics noise; skipping it must not stall the topic.
          log?.warn({ err, offset: m.offset }, 'skipping an unreadable drift record')
        }
      }
      if (rows.length) await deps.clickhouse.insert({ table: 'schema_drift', values: rows, format: 'JSONEachRow' })
      resolveOffset(batch.lastOffset())
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }])
    },
  })
  return { consumer, stop: () => consumer.disconnect() }
}
