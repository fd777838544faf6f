import { afterAll, describe, expect, it } from 'vitest'
import { migrate, readMigrations } from '../../migrations/runner.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

const TABLES = ['account_profile_state', 'churn_predictions', 'health_scores_latest']
const rows = async (client: ReturnType<typeof createClickHouse>, query: string, query_params?: Record<string, unknown>) =>
  (await client.query({ query, query_params, format: 'JSONEachRow' })).json<Record<string, unknown>>()

describe('migration 013 on embedded ClickHouse (chDB): one-row-per-account tables rebuilt with small granules', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  afterAll(() => clickhouse.close())

  it('rebuilds the one-row-per-account tables with small granules and keeps their rows, their views still writing to them', async () => {
    const all = readMigrations()
    const rebuild = all.findIndex((m) => m.name === '013_point_lookup_granularity.sql')
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
    // The views write to the rebuilt tables: a new profile event lands in the new profile state.
    await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: [{ message_id: 'm2', event: 'account_updated', account_id: 'acct_2', timestamp: '2026-03-02 10:00:00.000', received_at: '2026-03-02 10:00:00.000', schema_id: 1, properties: JSON.stringify({ name: 'Beta' }) }] })
    await clickhouse.command({ query: "INSERT INTO health_scores (account_id, as_of, computed_at) SELECT 'acct_2', toDateTime64('2026-03-02 00:00:00', 3, 'UTC'), toDateTime64('2026-03-02 00:00:00', 3, 'UTC')" })
    expect((await rows(clickhouse, 'SELECT account_id FROM account_profile_state FINAL ORDER BY account_id')).map((r) => r.account_id)).toEqual(['acct_0', 'acct_1', 'acct_2'])
    expect((await rows(clickhouse, 'SELECT account_id FROM health_scores_latest FINAL ORDER BY account_id')).map((r) => r.account_id)).toEqual(['acct_0', 'acct_1', 'acct_2'])
  })

})
