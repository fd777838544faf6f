/**
 * One ClickHouse query for the independent reads a request makes in the same tick (an account 360's usage,
 * feature use, CSM activity and timeline): DataLoader collects them and sends their UNION ALL, each read's rows
 * tagged with its place and turned into one JSON object by ClickHouse (`formatRowNoNewline('JSONEachRow', *)`,
 * the very row `queryRows` would have parsed). Why not one query each: the embedded chDB runs a process's
 * parameterized queries one after another (its Node binding chains them), so four small reads cost four
 * queries' fixed cost in a row (~30 ms on 50,000 accounts); as branches of one query they run side by side on
 * the engine's threads (~21 ms, bench/graphql-api.ts). DataLoader has no SQL of its own, hence this file.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import DataLoader from 'dataloader'
import { queryRows } from '../processors/clickhouse-rows.js'

/** A read: its SQL with `{name:Type}` parameters and their values. Not ending in SETTINGS or FORMAT (it becomes a subquery). */
export interface RowsQuery {
  sql: string
  params: Record<string, unknown>
}

/** Pure: the reads as one query whose rows are `_part` (the read's index) and `_row` (its row as JSON), in order. */
export function unionOfReads(reads: RowsQuery[]): RowsQuery {
  const params: Record<string, unknown> = {}
  const parts = reads.map((read, i) => {
    // Each read's parameters get the read's own suffix, so two reads may use the same names with other values.
    const sql = read.sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):/g, (_m, name: string) => `{${name}_r${i}:`)
    for (const [name, value] of Object.entries(read.params)) params[`${name}_r${i}`] = value
    return `SELECT ${i} AS _part, rowNumberInAllBlocks() AS _n, formatRowNoNewline('JSONEachRow', *) AS _row FROM (${sql})`
  })
  return { sql: `SELECT _part, _row FROM (${parts.join('\nUNION ALL\n')}) ORDER BY _part, _n`, params }
}

/** A per-request loader of rows: reads asked for in the same tick go to ClickHouse as one query. */
export function createRowsLoader(clickhouse: ClickHouseClient): DataLoader<RowsQuery, Record<string, any>[]> {
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
