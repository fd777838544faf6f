import type { ClickHouseClient } from '@clickhouse/client'
import { simulateEvents, type AccountTruth, type SimulatedEvent, type SimulationOptions } from '../../cli/simulate/portfolio.js'

const time = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 23)}`

export function eventRow(e: SimulatedEvent) {
  return {
    message_id: e.messageId,
    event: e.event,
    schema_id: 1,
    account_id: e.accountId,
    user_id: e.userId ?? null,
    timestamp: time(e.timestamp),
    received_at: time(e.timestamp),
    source: '/pulse/simulate',
    properties: JSON.stringify(e.properties),
  }
}

/**
 * Simulates a portfolio and inserts its events straight into ClickHouse `events`, as the processor would
 * store them (the materialized views follow), in inserts of `batchSize` as they are generated, so a
 * portfolio of millions of events never sits in memory. For tests and benches of what is computed from stored
 * events; the import path through the gateway has its own tests.
 */
export async function insertSimulated(
  clickhouse: ClickHouseClient,
  options: SimulationOptions,
  opts: { batchSize?: number; onInserted?: (events: number) => void } = {},
): Promise<{ truth: AccountTruth[]; events: number }> {
  const batchSize = opts.batchSize ?? 100_000
  let batch: ReturnType<typeof eventRow>[] = []
  let events = 0
  const flush = async () => {
    await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: batch })
    events += batch.length
    batch = []
    opts.onInserted?.(events)
  }
  const generator = simulateEvents(options)
  for (;;) {
    const next = generator.next()
    if (next.done) {
      await flush()
      return { truth: next.value.truth, events }
    }
    batch.push(eventRow(next.value))
    if (batch.length >= batchSize) await flush()
  }
}
