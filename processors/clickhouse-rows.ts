import type { ClickHouseClient } from '@clickhouse/client'

/** Runs a query with its values as query parameters and returns its rows. */
export async function queryRows<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

/**
 * The same rows as `queryRows`, sent as arrays under one line of column names: for reads of tens of
 * thousands of rows of many columns (a sweep's facts: 35 per account), ClickHouse then writes each name once
 * rather than once per row — ~0.1 s off a 50,000-row read, more than naming the values here costs.
 */
export async function queryRowsCompact<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONCompactEachRowWithNames' })
  const [names, ...rows] = await rs.json<unknown[]>()
  if (!names) return []
  const width = names.length
  return rows.map((values) => {
    const row: Record<string, unknown> = {}
    for (let i = 0; i < width; i++) row[names[i] as string] = values[i]
    return row as T
  })
}
