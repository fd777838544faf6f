import type { ClickHouseClient } from '@clickhouse/client'
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { DriftRecord } from '../gateway/drift.js'
import { startBatchConsumer } from './batch-consumer.js'
import { chTime } from './clickhouse-time.js'
import { describeFailure } from './failure-kinds.js'

/** Moves the gateway's aggregated drift records into ClickHouse `schema_drift`, committing after each insert (pausing and retrying while ClickHouse is away). */
export async function startDriftProcessor(deps: {
  kafka: Kafka
  topic: string
  groupId: string
  clickhouse: ClickHouseClient
  logger?: Logger
}): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const log = deps.logger?.child({ component: 'drift-processor' })
  return startBatchConsumer({
    kafka: deps.kafka,
    topic: deps.topic,
    groupId: deps.groupId,
    onPause: (p) => log?.warn({ partition: p.partition, attempts: p.attempts, retryInMs: p.retryInMs, err: describeFailure(p.error) }, 'ClickHouse unavailable: drift partition paused; retrying'),
    onResume: (p) => log?.info({ partition: p.partition, pausedMs: p.pausedMs }, 'drift partition resumed'),
    handle: async (batch) => {
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
    },
  })
}
