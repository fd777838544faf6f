/**
 * The exact half of deduplication: events the gateway marked for verification (their messageId was seen
 * within the dedup window, or they are older than the window) are checked against `events` before they are
 * inserted, and dropped when their messageId is already stored for the account — or appears earlier in the
 * same batch. Unmarked events are not checked: the gateway's window already vouches for them, and the
 * ReplacingMergeTree key collapses whatever a lost Redis let through.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from './clickhouse-rows.js'
import { VERIFY_HEADER } from '../gateway/message-ids.js'
import type { DecodedEvent } from './event-store.js'

const marked = (e: DecodedEvent) => e.message.headers?.[VERIFY_HEADER] !== undefined

export async function dropStoredDuplicates(clickhouse: ClickHouseClient, events: DecodedEvent[]): Promise<{ fresh: DecodedEvent[]; duplicates: number }> {
  const toCheck = events.filter(marked)
  if (!toCheck.length) return { fresh: events, duplicates: 0 }
  // The primary key starts with account_id; the message ids filter the few granules that leaves.
  const rows = await queryRows<{ account_id: string; message_id: string }>(
    clickhouse,
    'SELECT DISTINCT account_id, message_id FROM events WHERE account_id IN {accounts:Array(String)} AND message_id IN {ids:Array(String)}',
    { accounts: [...new Set(toCheck.map((e) => e.row.account_id))], ids: [...new Set(toCheck.map((e) => e.row.message_id))] },
  )
  const stored = new Set(rows.map((r) => `${r.account_id}\u0000${r.message_id}`))
  const fresh: DecodedEvent[] = []
  for (const e of events) {
    const key = `${e.row.account_id}\u0000${e.row.message_id}`
    if (marked(e) && stored.has(key)) continue
    stored.add(key) // a later marked copy in this batch is a duplicate of this one
    fresh.push(e)
  }
  return { fresh, duplicates: events.length - fresh.length }
}
