/**
 * One ClickHouse query for independent reads made in the same tick (an account 360's usage, feature use, CSM
 * activity and timeline; a scoring pass's measures and score history; a playbook pass's facts): DataLoader
 * collects them and sends their UNION ALL, each read's rows tagged with its place and turned into one JSON
 * object by ClickHouse (`formatRowNoNewline('JSONEachRow', *)`, the very row `queryRows` would have parsed).
 * Why not one query each: the embedded chDB runs a process's parameterized queries one after another (its Node
 * binding chains them), so four small reads cost four queries' fixed cost in a row (~30 ms on 50,000
 * accounts) and each waits its turn behind every other component's queries; as branches of one query they
 * take one turn and run side by side on the engine's threads (~21 ms, bench/graphql-api.ts). DataLoader has
 * no SQL of its own, hence this file.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import DataLoader from 'dataloader'
import { queryRows, queryRowsCompact } from './clickhouse-rows.js'

/** A read: its SQL with `{name:Type}` parameters and their values. Not ending in SETTINGS or FORMAT (it becomes a subquery). */
export interface RowsQuery {
  sql: string
  params: Record<string, unknown>
}

/** Reads rows: one query each (`readerOf`), or the reads of a tick as one query (`batchedReader`). */
export type ReadRows = <T = Record<string, any>>(sql: string, params?: Record<string, unknown>) => Promise<T[]>

/**
 * Pure: the reads as one query whose rows are `_part` (the read's index) and `_row` (its row as JSON), in order.
 * A parameter given the very same value by several reads (the pass's list of account ids) is sent once;
 * others get the read's own suffix, so two reads may use one name with other values.
 */
export function unionOfReads(reads: RowsQuery[]): RowsQuery {
  const params: Record<string, unknown> = {}
  const parts = reads.map((read, i) => {
    const names = new Map<string, string>()
    for (const [name, value] of Object.entries(read.params)) {
      const shared = name in params && params[name] === value
      const as = shared || !(name in params) ? name : `${name}_r${i}`
      names.set(name, as)
      params[as] = value
    }
    const sql = read.sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):/g, (m, name: string) => (names.has(name) ? `{${names.get(name)}:` : m))
    return `SELECT ${i} AS _part, rowNumberInAllBlocks() AS _n, formatRowNoNewline('JSONEachRow', *) AS _row FROM (${sql})`
  })
  return { sql: `SELECT _part, _row FROM (${parts.join('\nUNION ALL\n')}) ORDER BY _part, _n`, params }
}

/** A loader of rows: reads asked for in the same tick go to ClickHouse as one query. Not cached: one per request or pass. */
function createRowsLoader(clickhouse: ClickHouseClient): DataLoader<RowsQuery, Record<string, any>[]> {
  return new DataLoader(
    async (reads) => {
      if (reads.length === 1) return [await queryRows<Record<string, any>>(clickhouse, reads[0].sql, reads[0].params)]
      const union = unionOfReads([...reads])
      const rows = reads.map((): Record<string, any>[] => [])
      for (const r of await queryRows<{ _part: number | string; _row: string }>(clickhouse, union.sql, union.params)) rows[Number(r._part)].push(JSON.parse(r._row))
      return rows
    },
    { cache: false },
  )
}

/** One query per read, its rows sent compact (see queryRowsCompact): the reader for reads of every account. */
export function readerOf(clickhouse: ClickHouseClient): ReadRows {
  return (sql, params = {}) => queryRowsCompact(clickhouse, sql, params)
}

/**
 * The reads made in the same tick as one query. For reads of a few thousand rows: each row travels as JSON
 * inside JSON, which costs more than the saved turns once a read returns tens of thousands (a sweep).
 */
export function batchedReader(clickhouse: ClickHouseClient): ReadRows {
  const loader = createRowsLoader(clickhouse)
  return <T>(sql: string, params: Record<string, unknown> = {}) => loader.load({ sql, params }) as Promise<T[]>
}
