import type { ClickHouseClient } from '@clickhouse/client'

/**
 * The engine with every query it is asked recorded, for tests that count them (N+1 reads, turns in chDB's
 * queue). `parameterized` holds those with parameters: embedded chDB runs them one at a time, each waiting its
 * turn. `inserts` holds the table of every insert, in order.
 */
export function countingClient(clickhouse: ClickHouseClient): { client: ClickHouseClient; queries: string[]; parameterized: string[]; inserts: string[] } {
  const queries: string[] = []
  const parameterized: string[] = []
  const inserts: string[] = []
  const client = new Proxy(clickhouse, {
    get(target, prop, receiver) {
      if (prop === 'insert') {
        return (params: { table: string }) => {
          inserts.push(params.table)
          return target.insert(params as never)
        }
      }
      if (prop !== 'query') return Reflect.get(target, prop, receiver)
      return (params: { query: string; query_params?: Record<string, unknown> }) => {
        queries.push(params.query)
        if (Object.keys(params.query_params ?? {}).length) parameterized.push(params.query)
        return target.query(params as never)
      }
    },
  })
  return { client, queries, parameterized, inserts }
}
