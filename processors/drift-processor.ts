import type { ClickHouseClient } from '@clickhouse/client'
import type { Consumer, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { DriftRecord } from '../gateway/drift.js'
import { startBatchConsumer } from './batch-consumer.js'
import { queryRows } from './clickhouse-rows.js'
import { chTime } from './clickhouse-time.js'
import type { DriftDetected } from './scoring/index.js'
import { describeFailure } from './failure-kinds.js'

/** Moves the gateway's aggregated drift records into ClickHouse `schema_drift`, committing after each insert (pausing and retrying while ClickHouse is away). */
export async function startDriftProcessor(deps: {
  kafka: Kafka
  topic: string
  groupId: string
  clickhouse: ClickHouseClient
  logger?: Logger
  /** Told of each kind of drift (subject, kind, field path, source) the first time it is stored, for `driftDetected`. */
  publish?: (drift: DriftDetected) => void
  /**
   * Told of each batch's records before they are stored (the playbooks' drift rules): a failure pauses and
   * retries the batch, so no record is stored without having been judged.
   */
  beforeStore?: (records: DriftRecord[]) => Promise<void>
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
      const records: DriftRecord[] = []
      for (const m of batch.messages) {
        try {
          const r = JSON.parse(m.value?.toString('utf8') ?? '') as DriftRecord
          rows.push({ ...r, time: chTime(new Date(r.time)) })
          records.push(r)
        } catch (err) {
          // A record that is not ours is diagnostics noise; skipping it must not stall the topic.
          log?.warn({ err, offset: m.offset }, 'skipping an unreadable drift record')
        }
      }
      if (!rows.length) return
      await deps.beforeStore?.(records)
      const fresh = deps.publish ? await unseenDrift(deps.clickhouse, rows) : []
      await deps.clickhouse.insert({ table: 'schema_drift', values: rows, format: 'JSONEachRow' })
      for (const d of fresh) deps.publish!(d)
    },
  })
}

const driftKey = (d: Pick<DriftRecord, 'subject' | 'kind' | 'path' | 'source'>) => [d.subject, d.kind, d.path, d.source].join('\u0000')

/** The batch's kinds of drift that `schema_drift` has never stored, one record each (the first in the batch). */
async function unseenDrift(clickhouse: ClickHouseClient, rows: (DriftRecord & { time: string })[]): Promise<DriftDetected[]> {
  const first = new Map<string, DriftRecord & { time: string }>()
  for (const r of rows) if (!first.has(driftKey(r))) first.set(driftKey(r), r)
  const seen = await queryRows<{ key: string }>(
    clickhouse,
    "SELECT DISTINCT concat(subject, '\\0', kind, '\\0', path, '\\0', source) AS key FROM schema_drift WHERE key IN {keys:Array(String)}",
    { keys: [...first.keys()] },
  )
  for (const { key } of seen) first.delete(key)
  return [...first.values()].map(({ sample: _sample, count, time, ...kind }) => ({ ...kind, events: count, time: new Date(`${time.replace(' ', 'T')}Z`).toISOString() }))
}
