import { afterAll, describe, expect, it } from 'vitest'
import { migrate, readMigrations, type Migration } from '../../migrations/runner.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

const MIGRATION = '018_account_daily_arrays.sql'
const rows = async (client: ReturnType<typeof createClickHouse>, query: string) => (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()
// Counts as numbers: uniq's UInt64 arrives quoted, uniqExact's as a number; readers take Number() of both.
const counted = (r: Record<string, unknown>[]): Record<string, unknown>[] => r.map((x) => ({ ...x, users: Number(x.users), logins: Number(x.logins), emails: Number(x.emails) }))

/** Usage events of one account and day: logins and feature uses by a few users, an email engagement. */
function usageEvents(account: string, day: string, prefix: string, users: string[]) {
  return users.flatMap((user, i) => [
    { message_id: `${prefix}-login-${i}`, event: 'user_login', account_id: account, user_id: user, timestamp: `${day} 09:00:00.000`, received_at: `${day} 09:00:00.000`, schema_id: 1, properties: '{"method":"SSO"}' },
    { message_id: `${prefix}-feature-${i}`, event: 'feature_used', account_id: account, user_id: user, timestamp: `${day} 10:00:00.000`, received_at: `${day} 10:00:00.000`, schema_id: 1, properties: JSON.stringify({ feature: `f${i % 2}` }) },
    { message_id: `${prefix}-email-${i}`, event: 'email_engaged', account_id: account, user_id: null, timestamp: `${day} 11:00:00.000`, received_at: `${day} 11:00:00.000`, schema_id: 1, properties: '{}' },
  ])
}

// Per account and day, what the rollup answers: read the same way before (states) and after (arrays).
const BEFORE = `SELECT account_id, toString(day) AS day, max(active) AS active, uniqMerge(active_users) AS users, uniqMerge(logins) AS logins,
  arraySort(groupUniqArrayMerge(features)) AS features, uniqMerge(email_engagements) AS emails FROM account_daily GROUP BY account_id, day ORDER BY account_id, day`
const AFTER = `SELECT account_id, toString(day) AS day, max(active) AS active, uniqExactArray(active_users) AS users, uniqExactArray(logins) AS logins,
  arraySort(groupUniqArrayArray(features)) AS features, uniqExactArray(email_engagements) AS emails FROM account_daily GROUP BY account_id, day ORDER BY account_id, day`

type Insert = (values: Record<string, unknown>[]) => Promise<unknown>

/** A fresh database with every migration before `name` applied, and a writer of events into it. */
async function migratedUpTo(name: string) {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const all = readMigrations()
  const at = all.findIndex((m) => m.name === name)
  expect(at).toBeGreaterThan(0)
  await migrate(clickhouse, all.slice(0, at))
  const insert: Insert = (values) => clickhouse.insert({ table: 'events', format: 'JSONEachRow', values })
  return { clickhouse, all, at, insert }
}

/**
 * Runs a rebuild's statements one by one while another process stores events — after the first fill (a new
 * day of acct_2) and while no view exists (a new account) — then records the migration as applied.
 */
async function rebuildWhileStoring(clickhouse: ReturnType<typeof createClickHouse>, migration: Migration, insert: Insert) {
  for (const statement of migration.statements) {
    await clickhouse.command({ query: statement })
    if (statement.startsWith('INSERT INTO account_daily_rebuilt')) await insert(usageEvents('acct_2', '2026-03-02', 'late', ['v2']))
    if (statement.startsWith('DROP VIEW')) await insert(usageEvents('acct_3', '2026-03-02', 'gap', ['w1', 'w2']))
  }
  await clickhouse.insert({ table: 'schema_migrations', format: 'JSONEachRow', values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }] })
}

/** What the rollup must answer after such a rebuild: the rows from before and the days the late events made. */
const withLateEvents = (before: Record<string, unknown>[]) => [
  ...before,
  { account_id: 'acct_2', day: '2026-03-02', active: 1, users: 1, logins: 1, features: ['f0'], emails: 1 },
  { account_id: 'acct_3', day: '2026-03-02', active: 1, users: 2, logins: 2, features: ['f0', 'f1'], emails: 2 },
].sort((a, b) => `${a.account_id}${a.day}`.localeCompare(`${b.account_id}${b.day}`))

describe(`migration ${MIGRATION} on embedded ClickHouse (chDB): the daily rollup rebuilt from events with arrays`, () => {
  let clickhouse: ReturnType<typeof createClickHouse>
  afterAll(() => clickhouse?.close())

  it('answers every account and day as the states did, keeps events stored while it runs, and its view writes to the new table', async () => {
    const migrated = await migratedUpTo(MIGRATION)
    const { all, at, insert } = migrated
    clickhouse = migrated.clickhouse
    // Two accounts over two days, a user active on both days, and an event stored twice (a duplicate before its merge).
    await insert([...usageEvents('acct_1', '2026-03-01', 'a1d1', ['u1', 'u2', 'u3']), ...usageEvents('acct_1', '2026-03-02', 'a1d2', ['u1', 'u4']), ...usageEvents('acct_2', '2026-03-01', 'a2d1', ['v1'])])
    await insert(usageEvents('acct_2', '2026-03-01', 'a2d1', ['v1']))
    const before = counted(await rows(clickhouse, BEFORE))
    expect(before.length).toBe(3)

    await rebuildWhileStoring(clickhouse, all[at], insert)

    const after = counted(await rows(clickhouse, AFTER))
    expect(after).toEqual(withLateEvents(before))
    expect(after.find((r) => r.account_id === 'acct_1' && r.day === '2026-03-01')).toMatchObject({ users: 3, logins: 3, features: ['f0', 'f1'], emails: 3 })
    expect(after.find((r) => r.account_id === 'acct_2' && r.day === '2026-03-01')).toMatchObject({ users: 1, logins: 1 })

    // The view now writes arrays into the rebuilt table; nothing of the rebuild is left behind.
    await insert(usageEvents('acct_1', '2026-03-02', 'new', ['u5']))
    expect(counted(await rows(clickhouse, AFTER)).find((r) => r.account_id === 'acct_1' && r.day === '2026-03-02')).toMatchObject({ users: 3, logins: 3, emails: 3 })
    const tables = await rows(clickhouse, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'account_daily%' ORDER BY name")
    expect(tables.map((t) => t.name)).toEqual(['account_daily', 'account_daily_mv'])
    expect(await migrate(clickhouse, all)).toEqual(all.slice(at + 1).map((m) => m.name))
  })
})

const SKETCH_MIGRATION = '019_account_daily_sketches.sql'
// Per account and day, read from the arrays (018) and from the sketches (019).
const SKETCHED = `SELECT account_id, toString(day) AS day, max(active) AS active, uniqExactArray(active_users) AS users, uniqCombined64Merge(12)(logins) AS logins,
  arraySort(groupUniqArrayArray(features)) AS features, uniqCombined64Merge(12)(email_engagements) AS emails FROM account_daily GROUP BY account_id, day ORDER BY account_id, day`

/** `count` logins of one account on one day, by one user. */
const logins = (account: string, day: string, prefix: string, count: number) => Array.from({ length: count }, (_, i) => (
  { message_id: `${prefix}-${i}`, event: 'user_login', account_id: account, user_id: 'u1', timestamp: `${day} 12:00:00.000`, received_at: `${day} 12:00:00.000`, schema_id: 1, properties: '{"method":"SSO"}' }))

describe(`migration ${SKETCH_MIGRATION} on embedded ClickHouse (chDB): logins and email engagements as bounded sketches`, () => {
  let clickhouse: ReturnType<typeof createClickHouse>
  afterAll(() => clickhouse?.close())

  it('answers every account and day as the arrays did, keeps events stored while it runs, and counts a login stored twice once', async () => {
    const migrated = await migratedUpTo(SKETCH_MIGRATION)
    const { all, at, insert } = migrated
    clickhouse = migrated.clickhouse
    // 127 logins on one day: a sketch of precision 12 keeps up to 128 hashes exactly, and its merges (the second
    // fill repeats these events) switch it to HyperLogLog when a full set takes one more, even one it holds.
    await insert([...usageEvents('acct_1', '2026-03-01', 'a1d1', ['u1', 'u2', 'u3']), ...usageEvents('acct_2', '2026-03-01', 'a2d1', ['v1']), ...logins('acct_1', '2026-03-02', 'busy', 127)])
    await insert(usageEvents('acct_2', '2026-03-01', 'a2d1', ['v1']))
    const before = counted(await rows(clickhouse, AFTER))
    expect(before.find((r) => r.account_id === 'acct_1' && r.day === '2026-03-02')).toMatchObject({ logins: 127 })

    await rebuildWhileStoring(clickhouse, all[at], insert)

    const after = counted(await rows(clickhouse, SKETCHED))
    expect(after).toEqual(withLateEvents(before))

    // The view now writes sketches; a login stored again (a replay) still counts once.
    await insert(usageEvents('acct_1', '2026-03-01', 'new', ['u5']))
    await insert(usageEvents('acct_1', '2026-03-01', 'new', ['u5']))
    expect(counted(await rows(clickhouse, SKETCHED)).find((r) => r.account_id === 'acct_1' && r.day === '2026-03-01')).toMatchObject({ users: 4, logins: 4, emails: 4 })
    const columns = await rows(clickhouse, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'account_daily' AND name IN ('logins', 'email_engagements') ORDER BY name")
    expect(columns).toEqual([{ name: 'email_engagements', type: 'AggregateFunction(uniqCombined64(12), UInt64)' }, { name: 'logins', type: 'AggregateFunction(uniqCombined64(12), UInt64)' }])
    const tables = await rows(clickhouse, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'account_daily%' ORDER BY name")
    expect(tables.map((t) => t.name)).toEqual(['account_daily', 'account_daily_mv'])
    expect(await migrate(clickhouse, all)).toEqual(all.slice(at + 1).map((m) => m.name))
  })

  it('keeps a busy day\'s row bounded: 20,000 logins in under 4 KB, counted within 5 %', async () => {
    clickhouse ??= createClickHouse({ dataDir: tempDir() })
    await migrate(clickhouse, readMigrations())
    for (let part = 0; part < 4; part++) await clickhouse.insert({ table: 'events', format: 'JSONEachRow', values: logins('acct_busy', '2026-03-05', `p${part}`, 5_000) })
    const [row] = await rows(clickhouse, `SELECT uniqCombined64Merge(12)(logins) AS n, length(CAST(uniqCombined64MergeState(12)(logins) AS String)) AS bytes FROM account_daily WHERE account_id = 'acct_busy'`)
    expect(Math.abs(Number(row.n) - 20_000) / 20_000).toBeLessThan(0.05)
    // Serialized, as a part stores it and a read deserializes it; the arrays held 8 bytes a login (160,000 here).
    expect(Number(row.bytes)).toBeLessThan(4096)
  })
})
