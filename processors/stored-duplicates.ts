/**
 * The exact half of deduplication: events the gateway marked for verification (their messageId was seen
 * within the dedup window, or they are older than the window) are checked against `events` before they are
 * inserted, and dropped when their messageId is already stored for the account — or is held by another
 * event of the same batch. Unmarked events are not checked: the gateway's window already vouches for them, and the
 * ReplacingMergeTree key collapses whatever a lost Redis let through.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from './clickhouse-rows.js'
import { VERIFY_HEADER } from '../gateway/message-ids.js'
import type { DecodedEvent } from './event-store.js'

const isMarked = (e: DecodedEvent) => e.message.headers?.[VERIFY_HEADER] !== undefined
const keyOf = (e: DecodedEvent) => `${e.row.account_id}\u0000${e.row.message_id}`

/** A batch's events in the order they came, apart: those the gateway vouches for and those to verify. */
export function splitForVerification(events: DecodedEvent[]): { vouched: DecodedEvent[]; marked: DecodedEvent[] } {
  const vouched: DecodedEvent[] = []
  const marked: DecodedEvent[] = []
  for (const e of events) (isMarked(e) ? marked : vouched).push(e)
  return { vouched, marked }
}

/** The marked events whose messageId no vouched event of the same batch holds for the same account. */
export function heldOutside(marked: DecodedEvent[], vouched: DecodedEvent[]): DecodedEvent[] {
  const held = new Set(vouched.map(keyOf))
  return marked.filter((e) => !held.has(keyOf(e)))
}

/** The events that are neither stored already nor held by an earlier event of the list. */
export async function dropStoredDuplicates(clickhouse: ClickHouseClient, events: DecodedEvent[]): Promise<{ fresh: DecodedEvent[]; duplicates: number }> {
  if (!events.length) return { fresh: [], duplicates: 0 }
  // The primary key starts with account_id; the message ids filter the few granules that leaves.
  const rows = await queryRows<{ account_id: string; message_id: string }>(
    clickhouse,
    'SELECT DISTINCT account_id, message_id FROM events WHERE account_id IN {accounts:Array(String)} AND message_id IN {ids:Array(String)}',
    { accounts: [...new Set(events.map((e) => e.row.account_id))], ids: [...new Set(events.map((e) => e.row.message_id))] },
  )
  const held = new Set(rows.map((r) => `${r.account_id}\u0000${r.message_id}`))
  const fresh: DecodedEvent[] = []
  for (const e of events) {
    const key = keyOf(e)
    if (held.has(key)) continue
    held.add(key) // a later copy in this batch is a duplicate of this one
    fresh.push(e)
  }
  return { fresh, duplicates: events.length - fresh.length }
}
