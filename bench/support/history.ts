/**
 * A month of history for the freshness bench's accounts (BENCH_HISTORY), loaded before its load starts:
 * events straight into `events` (the views follow), a score of every account as of each of the 30 days, then
 * the merges left to finish, so a live pass reads a month of rollup rows, facts and past scores as in
 * production rather than a fresh database's single day.
 *
 * In one process the bench calls `loadHistory` on its own connection. Split (BENCH_SPLIT=1), the processing
 * child owns its chDB, so the bench runs this file on the child's data directory before starting it:
 *   node --import tsx bench/support/history.ts DATA_DIR ACCOUNTS EVENTS [busy|sweep] [MONTHS]
 *
 * MONTHS > 1 (BENCH_HISTORY_MONTHS) adds the months before those 30 days as facts alone: the mix's sparse
 * events (tickets, answers, invoices, subscription, seats, CSM touches, traits) at the month's rate, for
 * accounts as old as a customer base is. Their usage events are left out: a pass reads no usage older than 35
 * days, and months of them (100 M events a month at the busy mix) would not fit this machine.
 */
import { pathToFileURL } from 'node:url'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { loadScorecard, scoreAccounts, type LoadedScorecard } from '../../processors/scoring/index.js'
import { createClickHouse, type ClickHouseClient } from '../../runtime/clickhouse.js'
import { BUSY_ACCOUNT_MIX, generateEvents, sparseOnly, sparseShare, SWEEP_MIX } from './sweep-data.js'

const DAY = 86_400_000

/** `mix`: busy accounts as customers send them (the default), or the sweep bench's 4 %-sparse mix. */
export async function loadHistory(
  clickhouse: ClickHouseClient,
  { accounts, total, mix = 'busy', months = 1, scorecard }: { accounts: number; total: number; mix?: 'busy' | 'sweep'; months?: number; scorecard: LoadedScorecard },
): Promise<string> {
  const began = Date.now()
  const cuts = mix === 'sweep' ? SWEEP_MIX : BUSY_ACCOUNT_MIX
  await generateEvents(clickhouse, { accounts, total, loadedAt: began, mix: cuts }, (n) => process.stderr.write(`\rhistory: ${n.toLocaleString()} events`))
  // Numbered on from the month's events, so their message ids differ.
  const older = months > 1 ? Math.round(total * sparseShare(cuts) * (months - 1)) : 0
  if (older) {
    await generateEvents(clickhouse, { accounts, total: total + older, from: total, loadedAt: began, mix: sparseOnly(cuts), olderMs: (months - 1) * 30 * DAY }, (n) =>
      process.stderr.write(`\rhistory: ${(n - total).toLocaleString()} older facts`),
    )
  }
  // A day's scores as the hourly sweep would have left them: health_scores_daily keeps each day's last.
  for (let days = 30; days >= 1; days--) {
    await scoreAccounts({ clickhouse, scorecard, publish: () => {} }, { all: true }, began - days * DAY - 60_000, 'sweep')
  }
  await clickhouse.command({ query: 'OPTIMIZE TABLE account_daily FINAL' })
  // The merges a month of inserts leaves behind would be long done in production: wait for them (3 min at most).
  for (let waited = 0; waited < 180_000; waited += 2_000) {
    const [{ n }] = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM system.merges')
    if (Number(n) === 0) break
    await new Promise((r) => setTimeout(r, 2_000))
  }
  const parts = await queryRows<{ table: string; rows: string }>(
    clickhouse,
    "SELECT table, sum(rows) AS rows FROM system.parts WHERE active AND database = currentDatabase() AND table IN ('events', 'account_daily', 'account_facts', 'health_scores') GROUP BY table ORDER BY table",
  )
  const rows = parts.map((r) => `${r.table} ${Number(r.rows).toLocaleString()}`).join(', ')
  const line = `history of the 30 days before the run (${mix} mix)${older ? ` and ${older.toLocaleString()} facts of the ${months - 1} months before` : ''}, loaded in ${Math.round((Date.now() - began) / 1000)} s: ${rows} rows`
  process.stderr.write(`\r${line}\n`)
  return line
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dataDir, accounts, total, mix = 'busy', months = '1'] = process.argv.slice(2)
  if (!dataDir || !(Number(accounts) > 0) || !(Number(total) > 0) || (mix !== 'busy' && mix !== 'sweep') || !(Number.isInteger(Number(months)) && Number(months) >= 1)) {
    console.error('usage: node --import tsx bench/support/history.ts DATA_DIR ACCOUNTS EVENTS [busy|sweep] [MONTHS]')
    process.exit(2)
  }
  const clickhouse = createClickHouse({ dataDir })
  await migrate(clickhouse)
  const scorecard = loadScorecard({ config: process.env.PULSE_SCORING_CONFIG || undefined, env: process.env })
  console.log(await loadHistory(clickhouse, { accounts: Number(accounts), total: Number(total), mix, months: Number(months), scorecard }))
  await clickhouse.close()
}
