// A live scoring pass's reads, timed one by one, for the freshness bench: which of them grows over a
// sustained run. A pass sends them as one query (processors/batched-rows.ts), so its read phase cannot say.
//
// The values are written into the SQL as literals here, not sent as parameters: embedded chDB runs a process's
// parameterized queries one after another, so a timed read with parameters would wait behind the pipeline's own
// queries and measure their time too. Bench only: the values are the bench's own account ids and times.
import type { ClickHouseClient } from '@clickhouse/client'
import { chTime } from '../../processors/clickhouse-time.js'
import { accountsSql, selectionFilter, sparseSql, SOURCES_SQL, usageSql } from '../../processors/scoring/measure-query.js'
import { latestSql, pastDays, pastSql } from '../../processors/scoring/score-store.js'
import { fingerprintSql } from '../../processors/scoring/sparse-memo.js'

const literal = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`
  if (typeof value === 'number') return String(value)
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** Pure: the query with each `{name:Type}` replaced by its value as a literal of that type. */
export function inlineParams(sql: string, params: Record<string, unknown>): string {
  return sql.replace(/\{([A-Za-z_]\w*):([^{}]+)\}/g, (_, name: string, type: string) => {
    if (!(name in params)) throw new Error(`no value for the parameter {${name}:${type}}`)
    return `CAST(${literal(params[name])} AS ${type})`
  })
}

/** The reads of a live pass over `accountIds` as of `asOf`, by name (`sparse`: every account's, as without the memo). */
export function passReads(accountIds: string[], asOf: number): Record<string, string> {
  const { filter, params } = selectionFilter({ accountIds })
  const asOfs = [chTime(new Date(asOf))]
  return {
    accounts: inlineParams(accountsSql(filter), { ...params, asOfs }),
    usage: inlineParams(usageSql(filter, true), { ...params, asOfs }),
    sparse: inlineParams(sparseSql(filter), { ...params, asOfs }),
    sources: inlineParams(SOURCES_SQL, { asOf: asOfs[0] }),
    latest: inlineParams(latestSql(filter), params),
    past: inlineParams(pastSql(filter), { ...params, ...pastDays(asOf) }),
    // What the memo of facts aggregates reads before each event pass (sparse-memo.ts).
    fingerprints: inlineParams(fingerprintSql(filter), { ...params, asOf: asOfs[0] }),
  }
}

/** Each read's time in ms, the fastest of `rounds` (the least disturbed by the pipeline's own work). */
export async function timePassReads(clickhouse: ClickHouseClient, accountIds: string[], asOf: number, rounds = 3): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const [name, query] of Object.entries(passReads(accountIds, asOf))) {
    let best = Infinity
    for (let i = 0; i < rounds; i++) {
      const began = performance.now()
      await (await clickhouse.query({ query, format: 'JSONCompactEachRow' })).text()
      best = Math.min(best, performance.now() - began)
    }
    out[name] = Math.round(best)
  }
  return out
}

/** Active parts of each of `tables`, in their order (0 for a table with none): merges falling behind show here. */
export async function activeParts(clickhouse: ClickHouseClient, tables: string[]): Promise<number[]> {
  const rs = await clickhouse.query({
    query: `SELECT table, count() AS parts FROM system.parts WHERE active AND database = currentDatabase() AND table IN ${inlineParams('{tables:Array(String)}', { tables })} GROUP BY table`,
    format: 'JSONEachRow',
  })
  const parts = new Map((await rs.json<{ table: string; parts: string }>()).map((r) => [r.table, Number(r.parts)]))
  return tables.map((t) => parts.get(t) ?? 0)
}

/** The engine's merge counters so far (ProfileEvents): each window's difference is the merging it did. */
export async function mergeCounters(clickhouse: ClickHouseClient): Promise<{ merges: number; mergedRows: number; mergeMs: number }> {
  const rs = await clickhouse.query({ query: "SELECT event, value FROM system.events WHERE event IN ('Merge', 'MergedRows', 'MergeTotalMilliseconds')", format: 'JSONEachRow' })
  const of = new Map((await rs.json<{ event: string; value: string }>()).map((r) => [r.event, Number(r.value)]))
  return { merges: of.get('Merge') ?? 0, mergedRows: of.get('MergedRows') ?? 0, mergeMs: of.get('MergeTotalMilliseconds') ?? 0 }
}

/**
 * Samples the merges in progress every `everyMs` until stopped: per table, how many merges the samples found
 * (its share of the time the engine spent merging).
 */
export function sampleMerges(clickhouse: ClickHouseClient, everyMs = 500): { take(): Map<string, number>; stop(): void } {
  let seen = new Map<string, number>()
  let running = true
  void (async () => {
    while (running) {
      try {
        const rs = await clickhouse.query({ query: 'SELECT table, count() AS merges FROM system.merges GROUP BY table', format: 'JSONEachRow' })
        for (const r of await rs.json<{ table: string; merges: string }>()) seen.set(r.table, (seen.get(r.table) ?? 0) + Number(r.merges))
      } catch {
        // A sample lost to a busy engine is a sample fewer, nothing more.
      }
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    take() {
      const out = seen
      seen = new Map()
      return out
    },
    stop: () => (running = false),
  }
}
