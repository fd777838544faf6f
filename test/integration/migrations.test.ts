import { afterAll, describe, expect, it } from 'vitest'
import { migrate, parseMigrations, readMigrations } from '../../migrations/runner.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

describe('migration runner on embedded ClickHouse (chDB)', () => {
  const client = createClickHouse({ dataDir: tempDir() })
  afterAll(() => client.close())

  it('applies each migration once, records it, and refuses a changed file', async () => {
    const all = readMigrations()
    expect(await migrate(client, all)).toEqual(all.map((m) => m.name))
    expect(await migrate(client, all)).toEqual([])

    const rs = await client.query({ query: 'SELECT name FROM schema_migrations ORDER BY version', format: 'JSONEachRow' })
    expect((await rs.json<{ name: string }>()).map((r) => r.name)).toEqual(all.map((m) => m.name))
    const tables = await client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'health_scores')", format: 'JSONEachRow' })
    expect((await tables.json<{ name: string }>()).map((r) => r.name).sort()).toEqual(['events', 'health_scores'])

    const changed = parseMigrations([{ name: all[0].name, sql: 'CREATE TABLE IF NOT EXISTS other (x UInt8) ENGINE = Memory' }])
    await expect(migrate(client, changed)).rejects.toThrow(/was changed after it was applied/)
  })
})
