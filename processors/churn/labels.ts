/**
 * When accounts churned: an account churns at its first `subscription_canceled`, or at a subscription moving
 * to CANCELED, whichever comes first. Read in one set-based query; the label of a snapshot is then pure.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'

const churnsSql = (filter: string) => `
SELECT account_id, toUnixTimestamp64Milli(min(timestamp)) AS churnedAt
FROM events
WHERE (event = 'subscription_canceled'
   OR (event = 'subscription_updated' AND JSONExtractString(properties, 'status') = 'CANCELED')) ${filter}
GROUP BY account_id`

/** Epoch ms of each churned account's first cancellation (of the listed accounts, or of all). */
export async function readChurns(clickhouse: ClickHouseClient, accountIds?: string[]): Promise<Map<string, number>> {
  const rows = await queryRows<{ account_id: string; churnedAt: string }>(
    clickhouse,
    churnsSql(accountIds ? 'AND account_id IN {ids:Array(String)}' : ''),
    accountIds ? { ids: accountIds } : {},
  )
  return new Map(rows.map((r) => [r.account_id, Number(r.churnedAt)]))
}

/** An account is at risk at a snapshot from its first event until its cancellation. */
export const activeAt = (firstSeen: number, churnedAt: number | undefined, t: number) => firstSeen <= t && (churnedAt === undefined || churnedAt > t)

/** 1 when the account churned within the horizon after the snapshot, 0 otherwise. */
export const churnedWithin = (churnedAt: number | undefined, t: number, horizonMs: number) => (churnedAt !== undefined && churnedAt > t && churnedAt <= t + horizonMs ? 1 : 0)
