import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { MIGRATIONS_DIR } from '../../migrations/runner.js'
import { SPARSE_EVENTS, USAGE_COLUMNS } from '../../processors/scoring/measure-query.js'
import { MEASURE_NAMES } from '../../processors/scoring/measures.js'

const flat = (sql: string) => sql.replace(/--.*$/gm, '').replace(/\s+/g, ' ').trim()
const migration = (name: string) => flat(fs.readFileSync(path.join(MIGRATIONS_DIR, name), 'utf8'))

// ClickHouse has no POPULATE for a materialized view writing TO a table, so each migration backfills with
// the view's SELECT written again; and the scoring query computes the as-of day's part of the rollup from
// raw events. These copies must never drift apart.
describe('rollup SQL written more than once', () => {
  it('computes the as-of day with the same columns as the account_daily view and its fills (019, the view in force)', () => {
    const sql = migration('019_account_daily_sketches.sql')
    const columns = flat(USAGE_COLUMNS)
    expect(sql.split(columns).length - 1).toBe(3)
  })

  it.each(['018_account_daily_arrays.sql', '019_account_daily_sketches.sql'])('rebuilds account_daily (%s) with exactly its view\'s SELECT, the second fill limited to events stored since the first', (file) => {
    const sql = migration(file)
    const viewSelect = sql.split('CREATE MATERIALIZED VIEW account_daily_mv TO account_daily AS ')[1].split(';')[0]
    expect(sql.split('INSERT INTO account_daily_rebuilt ')[1].split(';')[0]).toBe(viewSelect)
    const since = 'WHERE stored_at >= (SELECT at FROM account_daily_rebuild_began) - INTERVAL 1 MINUTE '
    expect(sql.split('INSERT INTO account_daily ')[1].split(';')[0]).toBe(viewSelect.replace('FROM events ', `FROM events ${since}`))
  })

  it('names the measures in health_scores_input_mv exactly as, and in the order, the scores send their values', () => {
    // The newest migration that defines the view is the one in force.
    const defining = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort().filter((f) => migration(f).includes('MATERIALIZED VIEW IF NOT EXISTS health_scores_input_mv'))
    const sql = migration(defining.at(-1)!)
    const names = /arrayMap\(\(name, value\) -> [^[]*\[([^\]]*)\]/.exec(sql)?.[1]
    expect(names?.split(',').map((n) => n.trim().replace(/^'|'$/g, ''))).toEqual([...MEASURE_NAMES])
  })

  it('keeps in account_facts exactly the events the sparse measures read', () => {
    const list = SPARSE_EVENTS.map((e) => `'${e}'`).join(', ')
    expect(migration('008_account_facts.sql').split(`WHERE event IN (${list})`).length - 1).toBe(2)
  })

  it('keeps the profile view of 021 exactly the first one (006) without the ticket and invoice sets', () => {
    const select = (file: string, view: string) => migration(file).split(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} TO account_profile_state AS `)[1].split(';')[0]
    const first = select('006_account_profiles.sql', 'account_profile_mv')
    const sets = /, groupUniqArrayArray\(.*?\) AS (tickets_opened|tickets_resolved|invoices_failed|invoices_paid)/g
    expect(first.match(sets)).toHaveLength(4)
    expect(select('021_account_items.sql', 'account_profile_latest_mv')).toBe(first.replace(sets, ''))
  })

  it('keeps the account_profiles view of 021 exactly 016\'s without the open tickets and unpaid invoices', () => {
    const view = (file: string) => migration(file).split('CREATE OR REPLACE VIEW account_profiles AS ')[1].split(';')[0]
    const sets = /, arrayFilter\(t -> .*? AS unpaid_invoices/
    expect(view('016_account_profiles_final.sql')).toMatch(sets)
    expect(view('021_account_items.sql')).toBe(view('016_account_profiles_final.sql').replace(sets, ''))
  })

  it('backfills each view with exactly its own SELECT', () => {
    for (const [file, view, table] of [
      ['005_account_daily.sql', 'account_daily_mv', 'account_daily'],
      ['005_account_daily.sql', 'event_kinds_daily_mv', 'event_kinds_daily'],
      ['006_account_profiles.sql', 'account_profile_mv', 'account_profile_state'],
      ['008_account_facts.sql', 'account_facts_mv', 'account_facts'],
      ['020_account_latest_facts.sql', 'account_latest_facts_mv', 'account_latest_facts'],
      ['021_account_items.sql', 'account_items_mv', 'account_items'],
    ]) {
      const sql = migration(file)
      const viewSelect = sql.split(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} TO ${table} AS `)[1].split(';')[0]
      const backfill = sql.split(`INSERT INTO ${table} `)[1].split(';')[0]
      expect(backfill, `${file}: ${view}`).toBe(viewSelect)
    }
  })
})
