// The sweep over every account (what keeps silent accounts decaying) against one bare
// `GROUP BY account_id` scan of the same window, in the same run on the same data. The events are inserted
// straight into ClickHouse `events` (the materialized views — daily rollup, profiles, event kinds — follow as
// they do for the processor's inserts), spread over the 30-day window with every catalog source the
// scorecard reads.
// Run: node --import tsx bench/sweep.ts [accounts=50000] [events=10000000] [rounds=3]   (BENCH_DATA_DIR=DIR keeps the data)
// The sweep holds facts aggregates between rounds as the scoring worker does (sparse-memo.ts): the first
// round reads them all. BENCH_SWEEP_MEMO=off sweeps without the memo; =alternate with it in odd rounds and
// without in even ones (an A/B in one process). BENCH_NEW_FACTS=N adds N facts (copies of stored ones, for
// random accounts, dated in the hour before) ahead of every round after the first, as an hour of arrivals
// would: the accounts they touch must be read again (they are added to the kept data set).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { migrate } from '../migrations/runner.js'
import { queryRows } from '../processors/clickhouse-rows.js'
import { chTime } from '../processors/clickhouse-time.js'
import { loadScorecard, scoreAccounts } from '../processors/scoring/index.js'
import { accountsSql, portfolioReader, readAccountInputs, SPARSE_EVENTS, sparseSql, usageSql } from '../processors/scoring/measure-query.js'
import { readScoreHistory } from '../processors/scoring/score-store.js'
import { createSparseMemo } from '../processors/scoring/sparse-memo.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { generateEvents, loadedAtFile } from './support/sweep-data.js'

const accounts = Number(process.argv[2] ?? 50_000)
const total = Number(process.argv[3] ?? 10_000_000)
const rounds = Number(process.argv[4] ?? 3)
const memoMode = process.env.BENCH_SWEEP_MEMO ?? 'on'
if (!['on', 'off', 'alternate'].includes(memoMode)) throw new Error(`BENCH_SWEEP_MEMO=${memoMode}: expected on, off or alternate`)
const newFacts = Number(process.env.BENCH_NEW_FACTS ?? 0)
// BENCH_DATA_DIR keeps the loaded events between runs (loading 10 M takes minutes); by default a temp dir.
const keep = process.env.BENCH_DATA_DIR
const dataDir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-sweep-bench-'))
const clickhouse = createClickHouse({ dataDir })
await migrate(clickhouse)
const rss = () => `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`

const asOf = Math.floor(Date.now() / 3_600_000) * 3_600_000
// A kept data set is scored as of the hour it was loaded at, so the window holds the same events.
const stamp = loadedAtFile(dataDir)
const loadedAt = keep && fs.existsSync(stamp) ? Number(fs.readFileSync(stamp, 'utf8')) : asOf

const loadStart = Date.now()
const [{ loaded }] = await queryRows<{ loaded: string }>(clickhouse, 'SELECT count() AS loaded FROM events')
await generateEvents(clickhouse, { accounts, total, loadedAt, from: Number(loaded) }, (inserted) =>
  process.stderr.write(`\rinserted ${inserted.toLocaleString()} events (${((Date.now() - loadStart) / 1000).toFixed(0)} s, RSS ${rss()})`),
)
await clickhouse.command({ query: 'OPTIMIZE TABLE account_daily FINAL' })
if (keep) fs.writeFileSync(stamp, String(loadedAt))
process.stderr.write('\n')
const [{ n, a }] = await queryRows<{ n: string; a: string }>(clickhouse, 'SELECT count() AS n, uniqExact(account_id) AS a FROM events')
console.log(`${Number(n).toLocaleString()} events of ${Number(a).toLocaleString()} accounts loaded in ${((Date.now() - loadStart) / 1000).toFixed(0)} s`)

const BARE_SCAN = `SELECT account_id, count() AS events FROM events
WHERE timestamp > {t:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND timestamp <= {t:DateTime64(3, 'UTC')} GROUP BY account_id`
const scorecard = loadScorecard({ config: 'pulse' })
const portfolio = portfolioReader(clickhouse)
const timed = async <T>(f: () => Promise<T>): Promise<[number, T]> => {
  const t = Date.now()
  const r = await f()
  return [Date.now() - t, r]
}
// CPU time of the whole process: chDB runs in it, so the engine's threads count as well as JavaScript's.
// And how long JavaScript's thread was busy meanwhile (event loop utilization): parsing rows, scoring,
// formatting the insert, collecting garbage; the rest of the wall time it waited for the engine.
const cpuTimed = async <T>(f: () => Promise<T>): Promise<[number, number, number, T]> => {
  const c = process.cpuUsage()
  const loop = performance.eventLoopUtilization()
  const [ms, r] = await timed(f)
  const used = process.cpuUsage(c)
  return [ms, Math.round((used.user + used.system) / 1000), Math.round(performance.eventLoopUtilization(loop).active), r]
}
// A query's cost in the engine alone: its rows folded into one, so none is formatted or parsed.
const inEngine = (sql: string) => `SELECT count(), sum(cityHash64(*)) FROM (${sql})`
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]

const bare: number[] = []
const bareCpu: number[] = []
const sweeps: { ms: number; cpu: number; js: number; read: number; compute: number; insert: number; scored: number; published: number; memo: boolean }[] = []
const memoCounts = { held: 0, read: 0 }
const sparseMemo = createSparseMemo(clickhouse, { onPlan: (held, read) => Object.assign(memoCounts, { held, read }) })
const NEW_FACTS = `INSERT INTO events SELECT * REPLACE (concat('bench_new_', generateUUIDv4()) AS message_id,
  {t:DateTime64(3, 'UTC')} - toIntervalMillisecond(rand() % 3600000) AS timestamp, {t:DateTime64(3, 'UTC')} AS received_at,
  concat('acct_', toString(rand(1) % {accounts:UInt32})) AS account_id)
FROM events WHERE event IN {kinds:Array(String)} LIMIT {n:UInt32}`
const parts: Record<string, number[]> = { accounts: [], usage: [], usageEngine: [], sparse: [], sparseEngine: [], list: [], history: [], portfolio: [] }
// A kept data set may hold the scores of an earlier run: start an hour after them, or each account is skipped.
const [{ last }] = await queryRows<{ last: string }>(clickhouse, 'SELECT toUnixTimestamp64Milli(max(as_of)) AS last FROM health_scores')
const firstRound = Math.max(loadedAt, Number(last) + 3_600_000)
for (let round = 0; round < rounds; round++) {
  // Each round an hour later, as the scheduled sweep runs: every account is scored again.
  const t = firstRound + round * 3_600_000
  const [bareMs, bareCpuMs, , rows] = await cpuTimed(() => queryRows(clickhouse, BARE_SCAN, { t: chTime(new Date(t)) }))
  bare.push(bareMs)
  bareCpu.push(bareCpuMs)
  if (newFacts && round > 0) await clickhouse.command({ query: NEW_FACTS, query_params: { t: chTime(new Date(t)), accounts, kinds: SPARSE_EVENTS, n: newFacts } })
  let published = 0
  const memo = memoMode === 'on' || (memoMode === 'alternate' && round % 2 === 0)
  const deps = { clickhouse, scorecard, portfolio, publish: () => published++, ...(memo ? { sparseMemo } : {}) }
  const [ms, cpu, js, run] = await cpuTimed(() => scoreAccounts(deps, { all: true }, t, 'sweep', { live: true }))
  sweeps.push({ ms, cpu, js, ...run.ms, scored: run.records.length, published, memo })
  // The read phase's parts, each alone (in the sweep they run concurrently).
  parts.accounts.push((await timed(() => readAccountInputs(clickhouse, { all: true }, new Date(t), true)))[0])
  const params = { asOfs: [chTime(new Date(t))] }
  parts.usage.push((await timed(() => queryRows(clickhouse, usageSql('', true), params)))[0])
  parts.usageEngine.push((await timed(() => queryRows(clickhouse, inEngine(usageSql('', true)), params)))[0])
  parts.sparse.push((await timed(() => queryRows(clickhouse, sparseSql(''), params)))[0])
  parts.sparseEngine.push((await timed(() => queryRows(clickhouse, inEngine(sparseSql('')), params)))[0])
  parts.list.push((await timed(() => queryRows(clickhouse, accountsSql(''), params)))[0])
  parts.history.push((await timed(() => readScoreHistory(clickhouse, { all: true }, t)))[0])
  parts.portfolio.push((await timed(() => portfolio(new Date(t), scorecard.card.coreFeatures)))[0])
  const held = memo ? `, facts aggregates ${memoCounts.held} held / ${memoCounts.read} read` : ', no memo'
  console.log(`round ${round + 1}: bare scan ${bareMs} ms, CPU ${bareCpuMs} ms (${rows.length} accounts); sweep${held}: ${ms} ms, CPU ${cpu} ms, JavaScript busy ${js} ms; = read ${run.ms.read} + compute ${run.ms.compute} + insert ${run.ms.insert}; ${run.records.length} scored, ${published} changed; RSS ${rss()}`)
}
const b = median(bare)
const s = sweeps.map((x) => x.ms)
console.log(`
| ${accounts.toLocaleString()} accounts, ${total.toLocaleString()} events, median of ${rounds} | ms | × bare scan |
| --- | ---: | ---: |
| bare \`GROUP BY account_id\` scan of the window (baseline) | ${b} | 1.00 |
| sweep, whole | ${median(s)} | ${(median(s) / b).toFixed(2)} |
| — read (measures, history, portfolio; concurrent) | ${median(sweeps.map((x) => x.read))} | ${(median(sweeps.map((x) => x.read)) / b).toFixed(2)} |
| —— account inputs alone (usage, sparse facts, accounts) | ${median(parts.accounts)} | ${(median(parts.accounts) / b).toFixed(2)} |
| ——— usage (daily rollup, live) | ${median(parts.usage)} | ${(median(parts.usage) / b).toFixed(2)} |
| ———— of it in the engine alone (no row formatted or parsed) | ${median(parts.usageEngine)} | ${(median(parts.usageEngine) / b).toFixed(2)} |
| ——— sparse facts (account_facts: support, surveys, billing, subscription) | ${median(parts.sparse)} | ${(median(parts.sparse) / b).toFixed(2)} |
| ———— of it in the engine alone | ${median(parts.sparseEngine)} | ${(median(parts.sparseEngine) / b).toFixed(2)} |
| ——— account list | ${median(parts.list)} | ${(median(parts.list) / b).toFixed(2)} |
| —— score history alone | ${median(parts.history)} | ${(median(parts.history) / b).toFixed(2)} |
| —— portfolio alone | ${median(parts.portfolio)} | ${(median(parts.portfolio) / b).toFixed(2)} |
| — compute (pure scoring in JS) | ${median(sweeps.map((x) => x.compute))} | ${(median(sweeps.map((x) => x.compute)) / b).toFixed(2)} |
| — insert into health_scores | ${median(sweeps.map((x) => x.insert))} | ${(median(sweeps.map((x) => x.insert)) / b).toFixed(2)} |

CPU time (engine and JavaScript; the machine has ${os.availableParallelism()} cores): bare scan ${median(bareCpu)} ms, sweep ${median(sweeps.map((x) => x.cpu))} ms (${(median(sweeps.map((x) => x.cpu)) / median(bareCpu)).toFixed(2)}× the scan's, ${(median(sweeps.map((x) => x.cpu)) / median(s)).toFixed(2)} cores busy on average); JavaScript's thread busy ${median(sweeps.map((x) => x.js))} ms of the sweep's ${median(s)} ms
peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`)
// The memo's effect: warm rounds (after the first, which fills it) against rounds without it.
const warm = sweeps.filter((x, i) => x.memo && i > 0)
const without = sweeps.filter((x) => !x.memo)
const summary = (label: string, xs: typeof sweeps) =>
  xs.length ? `${label}: sweep median ${median(xs.map((x) => x.ms))} ms (${(median(xs.map((x) => x.ms)) / b).toFixed(2)}×), read ${median(xs.map((x) => x.read))} ms, ${xs.length} rounds` : ''
console.log([summary('with the memo, after the first round', warm), summary('without the memo', without)].filter(Boolean).join('\n'))
await clickhouse.close()
if (!keep) fs.rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
