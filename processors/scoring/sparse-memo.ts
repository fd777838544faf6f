/**
 * An exact memo of a live scoring pass's facts aggregates (`sparseSql`), per account. At 5,000 events a second
 * nearly every account has new events in every pass, but ~1 % of events are facts (tickets, surveys, invoices,
 * subscriptions…), so in most passes most accounts' facts are what the last pass aggregated — yet reading and
 * aggregating them again was most of a pass's read for accounts two years old (~400 rows an account).
 *
 * A held result is reused only where it is exactly what a read would give:
 * - the account's facts are unchanged: its fingerprint (count and hash sum of its rows in `account_facts`, and
 *   of the months before the current one in `account_latest_facts`, migration 022) is the one read before the
 *   held result was read. The fingerprint is read before the facts and comes from projections written inside
 *   the facts' own parts, so a fact it counts is one the facts read saw;
 * - the as-of time is at or after the held one and before the first time a window's edge crosses one of its
 *   facts (`nextChange` of `sparseSql`: 30, 90 or 180 days after a fact) or a fact dated in the future
 *   starts to count. Between those times every aggregate is constant.
 * Anything else is read again. Written here rather than with a cache library: what matters is the validity
 * rule above, not the storage; a Map in insertion order is the least-recently-used list.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { batchedReader } from '../batched-rows.js'
import { chTime } from '../clickhouse-time.js'

/** One account's aggregates as read as of `asOf`, and what they hold for. */
export interface MemoEntry {
  /** The aggregates (without `asOf` and `nextChange`); undefined when the account had no facts. */
  row: Record<string, any> | undefined
  fingerprint: string
  asOf: number
  /** Epoch ms at which an aggregate may first change without a new fact; Infinity if none would. */
  until: number
}

/** Pure: whether an entry gives the account's aggregates as of `asOf`, its facts' fingerprint now being `fingerprint`. */
export function entryHolds(entry: MemoEntry | undefined, fingerprint: string, asOf: number): entry is MemoEntry {
  return entry !== undefined && entry.fingerprint === fingerprint && asOf >= entry.asOf && asOf < entry.until
}

/** Pure: the entry for an account's row just read (none: no facts), with its fingerprint and its first future-dated fact. */
export function entryOf(row: Record<string, any> | undefined, fingerprint: string, asOf: number, futureFact: number | undefined): MemoEntry {
  let kept: Record<string, any> | undefined
  let until = futureFact ?? Infinity
  if (row) {
    const { asOf: _asOf, nextChange, ...aggregates } = row
    kept = aggregates
    if (nextChange !== null && nextChange !== undefined) until = Math.min(until, Number(nextChange))
  }
  return { row: kept, fingerprint, asOf, until }
}

/** The memo's answer for one pass: the aggregates it holds, and the accounts to read. */
export interface SparsePlan {
  asOf: number
  /** Rows as `sparseSql` returns them, for the accounts whose aggregates held. */
  held: Record<string, any>[]
  toRead: string[]
  /** Keeps the rows just read for `toRead` (with `nextChange`). */
  keep(rows: Record<string, any>[]): void
}

export interface SparseMemo {
  /** Reads the fingerprints of the accounts' facts (before the pass's read) and says which aggregates hold as of `asOf`. */
  plan(accountIds: string[], asOf: number): Promise<SparsePlan>
  readonly size: number
}

/** An account's fingerprint in one table: its row count and hash sum, as text (UInt64). */
interface FingerprintRow {
  account_id: string
  n: string
  h: string
}

// A month's latest facts are read from account_latest_facts only for months before the as-of time's.
const FINGERPRINT = 'toString(count()) AS n, toString(sum(cityHash64(message_id, timestamp, properties))) AS h'
export const FACTS_FINGERPRINT_SQL = `SELECT account_id, ${FINGERPRINT} FROM account_facts WHERE account_id IN {accountIds:Array(String)} GROUP BY account_id`
export const LATEST_FINGERPRINT_SQL = `SELECT account_id, ${FINGERPRINT} FROM account_latest_facts
WHERE account_id IN {accountIds:Array(String)} AND month < toStartOfMonth({asOf:DateTime64(3, 'UTC')}) GROUP BY account_id`
export const FUTURE_FACTS_SQL = `SELECT account_id, toUnixTimestamp64Milli(min(timestamp)) AS next FROM account_facts
WHERE account_id IN {accountIds:Array(String)} AND timestamp > {asOf:DateTime64(3, 'UTC')} GROUP BY account_id`

/**
 * A memo of up to `maxAccounts` accounts' aggregates (the least recently used are dropped). `onPlan` is told
 * how many accounts' aggregates each pass reused and read.
 */
export function createSparseMemo(clickhouse: ClickHouseClient, opts: { maxAccounts?: number; onPlan?: (held: number, read: number) => void } = {}): SparseMemo {
  const maxAccounts = opts.maxAccounts ?? 50_000
  const entries = new Map<string, MemoEntry>()
  return {
    get size() {
      return entries.size
    },
    async plan(accountIds, asOf) {
      // The three reads as one query (one turn in chDB's queue), before and apart from the pass's read.
      const ids = [...new Set(accountIds)]
      const read = batchedReader(clickhouse)
      const params = { accountIds: ids, asOf: chTime(new Date(asOf)) }
      const [facts, latest, future] = await Promise.all([
        read<FingerprintRow>(FACTS_FINGERPRINT_SQL, params),
        read<FingerprintRow>(LATEST_FINGERPRINT_SQL, params),
        read<{ account_id: string; next: string }>(FUTURE_FACTS_SQL, params),
      ])
      const byAccount = (rows: FingerprintRow[]) => new Map(rows.map((r) => [r.account_id, `${r.n}:${r.h}`]))
      const factsOf = byAccount(facts)
      const latestOf = byAccount(latest)
      const futureOf = new Map(future.map((r) => [r.account_id, Number(r.next)]))
      const fingerprints = new Map(ids.map((id) => [id, `${factsOf.get(id) ?? '0:0'}/${latestOf.get(id) ?? '0:0'}`]))
      const held: Record<string, any>[] = []
      const toRead: string[] = []
      for (const id of ids) {
        const entry = entries.get(id)
        if (!entryHolds(entry, fingerprints.get(id)!, asOf)) {
          toRead.push(id)
          continue
        }
        entries.delete(id)
        entries.set(id, entry)
        if (entry.row) held.push({ ...entry.row, asOf })
      }
      opts.onPlan?.(ids.length - toRead.length, toRead.length)
      return {
        asOf,
        held,
        toRead,
        keep(rows) {
          const rowOf = new Map(rows.map((r) => [r.account_id as string, r]))
          for (const id of toRead) {
            entries.delete(id)
            entries.set(id, entryOf(rowOf.get(id), fingerprints.get(id)!, asOf, futureOf.get(id)))
          }
          for (const id of entries.keys()) {
            if (entries.size <= maxAccounts) break
            entries.delete(id)
          }
        },
      }
    },
  }
}
