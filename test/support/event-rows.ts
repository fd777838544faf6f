import crypto from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'

const DAY = 86_400_000

export interface TestEvent {
  event: string
  accountId: string
  userId?: string | null
  /** Epoch ms. */
  at: number
  properties?: Record<string, unknown>
}

/** Inserts events straight into ClickHouse `events`, as the processor would store them (the materialized views follow). */
export async function insertEvents(clickhouse: ClickHouseClient, events: TestEvent[]): Promise<void> {
  const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
  for (let i = 0; i < events.length; i += 50_000) {
    await clickhouse.insert({
      table: 'events',
      format: 'JSONEachRow',
      values: events.slice(i, i + 50_000).map((e) => ({
        message_id: crypto.randomUUID(),
        event: e.event,
        schema_id: 1,
        account_id: e.accountId,
        user_id: e.userId ?? null,
        timestamp: time(e.at),
        received_at: time(e.at),
        source: '/pulse/test',
        properties: JSON.stringify(e.properties ?? {}),
      })),
    })
  }
}

/** `users` users of an account logging in and using `features` on each of `days` consecutive days ending at `end`. */
export function activity(accountId: string, opts: { end: number; days: number; users: number; features: string[] }): TestEvent[] {
  const out: TestEvent[] = []
  for (let d = 0; d < opts.days; d++) {
    for (let u = 0; u < opts.users; u++) {
      const at = opts.end - d * DAY - (u + 1) * 60_000
      out.push({ event: 'user_login', accountId, userId: `${accountId}_u${u}`, at, properties: { method: 'SSO', mfa: false } })
      for (const feature of opts.features) out.push({ event: 'feature_used', accountId, userId: `${accountId}_u${u}`, at: at + 1000, properties: { feature, durationMs: null } })
    }
  }
  return out
}
