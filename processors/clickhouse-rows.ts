import type { ClickHouseClient } from '@clickhouse/client'

/** Runs a query with its values as query parameters and returns its rows. */
export async function queryRows<T>(clickhouse: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

