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
 *
 * A sweep (every account) uses it too when the portfolio fits: between hourly sweeps few accounts' facts
 * change, so it reads the fingerprints of every account and the facts of those whose aggregates do not hold.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { batchedReader, readerOf, type ReadRows } from '../batched-rows.js'
import { chTime } from '../clickhouse-time.js'
import { selectionFilter } from './measure-query.js'

/** One account's aggregates as read as of `asOf`, and what they hold for. */
export interface MemoEntry {
  /**
   * The row as read, undefined when the account had no facts. Its `asOf` and `nextChange` are the read's, not
   * the pass's that reuses it; nothing reads them from a held row. Kept as read rather than copied without
   * them: the copies of a sweep's 50,000 rows took ~0.3 s.
   */
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
  let until = futureFact ?? Infinity
  const nextChange = row?.nextChange
  if (nextChange !== null && nextChange !== undefined) until = Math.min(until, Number(nextChange))
  return { row, fingerprint, asOf, until }
}

/** The memo's answer for one pass: the aggregates it holds, and the accounts to read. */
export interface SparsePlan {
  asOf: number
  /**
   * Rows as `sparseSql` returned them when they were read, for the accounts whose aggregates held (their `asOf`
   * is that read's; the plan's is theirs now). The memo's own objects: read them, never change them.
   */
  held: Record<string, any>[]
  toRead: string[]
  /**
   * Read every account's facts instead of `toRead`'s (the filter left out): most of a sweep's accounts must be
   * read anyway, and a list of tens of thousands of ids costs more than it saves. `held` is then empty.
   */
  readAll: boolean
  /** Keeps the rows just read for `toRead` (with `nextChange`). */
  keep(rows: Record<string, any>[]): void
}

export interface SparseMemo {
  /**
   * Reads the fingerprints of the accounts' facts (before the pass's facts read) and says which aggregates hold
   * as of `asOf`: of the listed accounts, or of every account with facts (`'all'`, a sweep). `read` puts the
   * listed accounts' fingerprints in a query of the caller's (an event pass's batched reads).
   */
  plan(accounts: string[] | 'all', asOf: number, read?: ReadRows): Promise<SparsePlan>
  readonly size: number
}

// An account's fingerprint: the row count and hash sum of its facts in account_facts, then of the months
// before the as-of time's in account_latest_facts (each from its projection, migration 022), as one text. One
// query and one row per account: a sweep's 50,000 accounts, parsed twice as two results, cost ~50 ms more.
const FINGERPRINT = 'count() AS n, sum(cityHash64(message_id, timestamp, properties)) AS h'
const PART = (t: number) => `toString(sumIf(n, t = ${t})), ':', toString(sumIf(h, t = ${t}))`
export const fingerprintSql = (filter: string) => `SELECT account_id, concat(${PART(0)}, '/', ${PART(1)}) AS fingerprint FROM (
  SELECT account_id, 0 AS t, ${FINGERPRINT} FROM account_facts WHERE 1 ${filter} GROUP BY account_id
  UNION ALL
  SELECT account_id, 1 AS t, ${FINGERPRINT} FROM account_latest_facts
  WHERE month < toStartOfMonth({asOf:DateTime64(3, 'UTC')}) ${filter} GROUP BY account_id
) GROUP BY account_id`
export const futureFactsSql = (filter: string) => `SELECT account_id, toUnixTimestamp64Milli(min(timestamp)) AS next FROM account_facts
WHERE timestamp > {asOf:DateTime64(3, 'UTC')} ${filter} GROUP BY account_id`

const NO_FACTS = '0:0/0:0'

// The caller's own list when it has no repeats (a pass's ids come from a set): in the pass's query a list its
// reads share is sent once, and they share it by identity (batched-rows.ts).
const withoutRepeats = (ids: string[]) => (new Set(ids).size === ids.length ? ids : [...new Set(ids)])

// A sweep's read of every account's facts leaves the id list out when more than this share must be read.
const READ_ALL_SHARE = 0.5

/**
 * A memo of up to `maxAccounts` accounts' aggregates (the least recently used are dropped). `onPlan` is told
 * how many accounts' aggregates each pass reused and read.
 */
export function createSparseMemo(clickhouse: ClickHouseClient, opts: { maxAccounts?: number; onPlan?: (held: number, read: number) => void } = {}): SparseMemo {
  const maxAccounts = opts.maxAccounts ?? 50_000
  const entries = new Map<string, MemoEntry>()
  // The least recently used first (a Map keeps insertion order; a use re-inserts).
  const trim = () => {
    for (const id of entries.keys()) {
      if (entries.size <= maxAccounts) break
      entries.delete(id)
    }
  }
  return {
    get size() {
      return entries.size
    },
    async plan(accounts, asOf, passRead) {
      // Listed accounts: the two reads as one query (one turn in chDB's queue), the pass's own when it gives its
      // reader. Every account: too many rows to send as JSON inside JSON, so two plain reads.
      const all = accounts === 'all'
      const read = all ? readerOf(clickhouse) : (passRead ?? batchedReader(clickhouse))
      const { filter, params: selected } = selectionFilter(all ? { all: true } : { accountIds: withoutRepeats(accounts) })
      const params = { ...selected, asOf: chTime(new Date(asOf)) }
      const [found, future] = await Promise.all([
        read<{ account_id: string; fingerprint: string }>(fingerprintSql(filter), params),
        read<{ account_id: string; next: string }>(futureFactsSql(filter), params),
      ])
      const fingerprints = new Map(found.map((r) => [r.account_id, r.fingerprint]))
      const futureOf = new Map(future.map((r) => [r.account_id, Number(r.next)]))
      // Every account: those with facts in either table; one without any has no aggregates to read or hold.
      const ids = all ? [...fingerprints.keys()] : params.accountIds!
      for (const id of ids) if (!fingerprints.has(id)) fingerprints.set(id, NO_FACTS)
      // A sweep over more accounts than the memo holds would only push the event passes' accounts out: it
      // reads them all and keeps none.
      const fits = !all || ids.length <= maxAccounts
      let held: Record<string, any>[] = []
      let toRead: string[] = []
      for (const id of ids) {
        const entry = entries.get(id)
        const fingerprint = fingerprints.get(id)!
        if (!fits || !entryHolds(entry, fingerprint, asOf)) {
          // No fact at all in either table (none dated ahead either: the count is of every row): no aggregates,
          // which is what a read would give, so none is made. A new account's first pass skips the facts query
          // (its planning alone is ~40 ms), as does every pass of the freshness bench, whose probes are new accounts.
          if (fits && fingerprint === NO_FACTS) {
            entries.delete(id)
            entries.set(id, entryOf(undefined, NO_FACTS, asOf, undefined))
            continue
          }
          toRead.push(id)
          continue
        }
        // Recency for the event passes' accounts; a sweep touches every account alike, so it tells nothing.
        if (!all) entries.delete(id), entries.set(id, entry)
        if (entry.row) held.push(entry.row)
      }
      trim()
      const readAll = all && toRead.length > READ_ALL_SHARE * ids.length
      if (readAll) [held, toRead] = [[], ids]
      opts.onPlan?.(ids.length - toRead.length, toRead.length)
      return {
        asOf,
        held,
        toRead,
        readAll,
        keep(rows) {
          if (!fits) return
          const rowOf = new Map(rows.map((r) => [r.account_id as string, r]))
          for (const id of toRead) {
            entries.delete(id)
            entries.set(id, entryOf(rowOf.get(id), fingerprints.get(id)!, asOf, futureOf.get(id)))
          }
          trim()
        },
      }
    },
  }
}
