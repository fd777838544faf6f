import fs from 'node:fs'
import path from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

export type { ClickHouseClient }

const SETTINGS = {
  // Envelope timestamps arrive as ISO-8601 with a zone designator.
  date_time_input_format: 'best_effort',
} as const

/**
 * One client for both modes: a ClickHouse server over HTTP when a URL is given, otherwise the chDB engine
 * in-process. chDB binds one data directory per process, so embedded mode is single-process by nature.
 */
export function createClickHouse(opts: { url?: string; dataDir: string }): ClickHouseClient {
  if (opts.url) return createClient({ url: opts.url, clickhouse_settings: SETTINGS })
  const dir = path.join(opts.dataDir, 'clickhouse')
  fs.mkdirSync(dir, { recursive: true })
  // chdb types its Connection against its own copy of @clickhouse/client-common; the shapes are the same.
  return createClient({ connection: createChdbConnection({ path: dir }) as never, clickhouse_settings: SETTINGS })
}
