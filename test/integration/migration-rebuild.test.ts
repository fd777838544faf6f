import { afterAll, describe, expect, it } from 'vitest'
import { migrate, readMigrations } from '../../migrations/runner.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

const TABLES = ['account_profile_state', 'churn_predictions', 'health_scores_latest']
const rows = async (client: ReturnType<typeof createClickHouse>, query: string, query_params?: Record<string, unknown>) =>
  (await client.query({ query, query_params, format: 'JSONEachRow' })).json<Record<string, unknown>>()

// Migrations that rebuild the one-row-per-account tables (copy, swap by name, copy again, merge), each with what
// the rebuilt tables must show afterwards.
const REBUILDS = [
  { migration: '013_point_lookup_granularity.sql', what: 'small granules', compact: false },
  { migration: '015_point_lookup_compact_parts.sql', what: 'compact parts', compact: true },
]

describe.each(REBUILDS)('migration $migration on embedded ClickHouse (chDB): one-row-per-account tables rebuilt with $what', ({ migration, compact }) => {
  // chDB holds one data directory per process: each migration's own, opened in its test and closed after it.
  let clickhouse: ReturnType<typeof createClickHouse>
  afterAll(() => clickhouse?.close())

  it('rebuilds the one-row-per-account tables and keeps their rows, their views still writing to them', async () => {
    clickhouse = createClickHouse({ dataDir: tempDir() })
    const all = readMigrations()
    const rebuild = all.findIndex((m) => m.name === migration)
    expect(rebuild).toBeGreaterThan(0)
    await migrate(clickhouse, all.slice(0, rebuild))
    // Rows before the rebuild: a profile (through its view), a latest score (through its view), a prediction.
    await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: [{ message_id: 'm1', event: 'account_updated', account_id: 'acct_1', timestamp: '2026-03-01 10:00:00.000', received_at: '2026-03-01 10:00:00.000', schema_id: 1, properties: JSON.stringify({ name: 'Acme' }) }] })
    await clickhouse.command({ query: "INSERT INTO churn_predictions (account_id, as_of, computed_at, model_version, horizon_days, probability, mrr_cents, drivers) VALUES ('acct_1', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 'm1', 90, 0.4, NULL, '[]')" })
    await clickhouse.command({ query: "INSERT INTO health_scores (account_id, as_of, computed_at) SELECT 'acct_1', toDateTime64('2026-03-01 00:00:00', 3, 'UTC'), toDateTime64('2026-03-01 00:00:00', 3, 'UTC')" })
    const before = await Promise.all(TABLES.map((t) => rows(clickhouse, `SELECT * FROM ${t} FINAL ORDER BY account_id`)))
    expect(before.map((r) => r.length)).toEqual([1, 1, 1])

    // The migration's statements one by one, with a write to each table between its first copy and the swap
    // (another process storing while this one migrates): that row must survive too.
    const late = {
      account_profile_state: () => clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: [{ message_id: 'm0', event: 'account_updated', account_id: 'acct_0', timestamp: '2026-03-01 09:00:00.000', received_at: '2026-03-01 09:00:00.000', schema_id: 1, properties: JSON.stringify({ name: 'Zero' }) }] }),
      health_scores_latest: () => clickhouse.command({ query: "INSERT INTO health_scores (account_id, as_of, computed_at) SELECT 'acct_0', toDateTime64('2026-03-01 00:00:00', 3, 'UTC'), toDateTime64('2026-03-01 00:00:00', 3, 'UTC')" }),
      churn_predictions: () => clickhouse.command({ query: "INSERT INTO churn_predictions (account_id, as_of, computed_at, model_version, horizon_days, probability, mrr_cents, drivers) VALUES ('acct_0', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 'm1', 90, 0.2, NULL, '[]')" }),
    }
    for (const statement of all[rebuild].statements) {
      await clickhouse.command({ query: statement })
      const copied = /^INSERT INTO (\w+)_rebuilt SELECT/.exec(statement)?.[1] as keyof typeof late | undefined
      if (copied) await late[copied]()
    }
    const after = await Promise.all(TABLES.map((t) => rows(clickhouse, `SELECT * FROM ${t} FINAL ORDER BY account_id`)))
    expect(after.map((r) => r.map((x) => x.account_id))).toEqual(TABLES.map(() => ['acct_0', 'acct_1']))
    expect(after.map((r) => r.slice(1))).toEqual(before)
    const settings = await rows(clickhouse, `SELECT name, create_table_query AS ddl FROM system.tables WHERE database = currentDatabase() AND (name IN {tables:Array(String)} OR name LIKE '%_rebuilt') ORDER BY name`, { tables: TABLES })
    expect(settings.map((t) => [t.name, /index_granularity = (\d+)/.exec(String(t.ddl))?.[1]])).toEqual([...TABLES].sort().map((t) => [t, '256']))
    if (compact) {
      expect(settings.map((t) => /min_bytes_for_wide_part = (\d+), min_rows_for_wide_part = (\d+)/.exec(String(t.ddl))?.slice(1))).toEqual(TABLES.map(() => ['1099511627776', '1099511627776']))
      const parts = await rows(clickhouse, "SELECT DISTINCT table, part_type FROM system.parts WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)} ORDER BY table", { tables: TABLES })
      expect(parts).toEqual([...TABLES].sort().map((table) => ({ table, part_type: 'Compact' })))
    }
    // The views write to the rebuilt tables: a new profile event lands in the new profile state.
    await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: [{ message_id: 'm2', event: 'account_updated', account_id: 'acct_2', timestamp: '2026-03-02 10:00:00.000', received_at: '2026-03-02 10:00:00.000', schema_id: 1, properties: JSON.stringify({ name: 'Beta' }) }] })
    await clickhouse.command({ query: "INSERT INTO health_scores (account_id, as_of, computed_at) SELECT 'acct_2', toDateTime64('2026-03-02 00:00:00', 3, 'UTC'), toDateTime64('2026-03-02 00:00:00', 3, 'UTC')" })
    expect((await rows(clickhouse, 'SELECT account_id FROM account_profile_state FINAL ORDER BY account_id')).map((r) => r.account_id)).toEqual(['acct_0', 'acct_1', 'acct_2'])
    expect((await rows(clickhouse, 'SELECT account_id FROM health_scores_latest FINAL ORDER BY account_id')).map((r) => r.account_id)).toEqual(['acct_0', 'acct_1', 'acct_2'])
    if (compact) {
      // New parts, and their merge with the rebuilt one, stay compact.
      for (const t of TABLES) await clickhouse.command({ query: `OPTIMIZE TABLE ${t} FINAL` })
      const parts = await rows(clickhouse, "SELECT DISTINCT part_type FROM system.parts WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}", { tables: TABLES })
      expect(parts).toEqual([{ part_type: 'Compact' }])
    }
  })

})
