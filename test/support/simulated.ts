import type { ClickHouseClient } from '@clickhouse/client'
import { simulatePortfolio, type AccountTruth, type SimulatedEvent, type SimulationOptions } from '../../cli/simulate/portfolio.js'

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
 * store them (the materialized views follow). For tests of what is computed from stored events; the import
 * path through the gateway has its own tests.
 */
export async function insertSimulated(clickhouse: ClickHouseClient, options: SimulationOptions): Promise<{ truth: AccountTruth[]; events: number }> {
  let batch: ReturnType<typeof eventRow>[] = []
  const inserts: ReturnType<typeof eventRow>[][] = []
  let events = 0
  const { truth } = simulatePortfolio(options, (e) => {
    events++
    batch.push(eventRow(e))
    if (batch.length >= 100_000) {
      inserts.push(batch)
      batch = []
    }
  })
  inserts.push(batch)
  for (const values of inserts) await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values })
  return { truth, events }
}
