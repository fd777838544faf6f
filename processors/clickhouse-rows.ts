import type { ClickHouseClient } from '@clickhouse/client'

/** Runs a query with its values as query parameters and returns its rows. */
export async function queryRows<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

/**
 * `queryRows` for wide results: the rows travel as JSON arrays after one row of column names
 * (JSONCompactEachRowWithNames), not as objects repeating every name, and are zipped back into objects.
 * On the churn snapshots' 36 sparse-fact columns that is a quarter of the bytes to move and parse.
 */
export async function queryWideRows<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONCompactEachRowWithNames' })
  const [names, ...rows] = await rs.json<unknown[]>()
  return rows.map((row) => {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) o[names[i] as string] = row[i]
    return o as T
  })
}
