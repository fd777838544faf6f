// A prototype, not Pulse's sweep: what a sweep costs when no row passes through JavaScript, the redesign
// issue 8's "within 3× of a bare scan" goal would need. Pulse's measures and its `pulse` scorecard are compiled
// to SQL exactly (bench/support/in-engine/, held equal to the pure core by integration tests), and 50,000
// scores — smoothed against the history, banded into tiers, with their trend and measures — go into copies of
// health_scores (and its latest and daily views) by one INSERT … SELECT, the moved tiers read back for
// publishing. Two ways: over each account's aggregates already current in 50,000-row tables (kept by the
// pipeline in that design; here built, and that build timed: the day's first sweep would pay it when the
// windows move), and from scratch, the aggregates computed from the rollup and facts in the same statement.
// Run after bench/sweep.ts has loaded its data: BENCH_DATA_DIR=DIR node --import tsx bench/sweep-in-engine.ts [rounds=5]
import { performance } from 'node:perf_hooks'
import { queryRows } from '../processors/clickhouse-rows.js'
import { chTime } from '../processors/clickhouse-time.js'
import { loadScorecard } from '../processors/scoring/index.js'
import { accountsSql, portfolioReader, sparseSql, usageSql } from '../processors/scoring/measure-query.js'
import { measuresJsonSql, measureValuesSql } from './support/in-engine/measure-values-sql.js'
import { MEASURE_NAMES } from '../processors/scoring/measures.js'
import { roundSql, SCORECARD_SQL_SETTINGS, scorecardSql, stagedSql, tierSql } from './support/in-engine/scorecard-sql.js'
import { readScoringInputs, scoreInputs } from '../processors/scoring/score-accounts.js'
import { pastSql } from '../processors/scoring/score-store.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { sweepDataSet } from './support/sweep-data.js'

const rounds = Number(process.argv[2] ?? 5)
const { dataDir, loadedAt } = sweepDataSet()
const ch = createClickHouse({ dataDir })
const run = (query: string, params: Record<string, unknown> = {}) => ch.command({ query, query_params: params })
// The statements that evaluate the compiled scorecard, with the settings it needs; the rest with the defaults.
const runScoring = (query: string) => ch.command({ query, query_params: params(), clickhouse_settings: SCORECARD_SQL_SETTINGS })
const readScoring = (query: string) => ch.query({ query, query_params: params(), clickhouse_settings: SCORECARD_SQL_SETTINGS, format: 'JSONEachRow' }).then((r) => r.json())
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now()
  await f()
  return Math.round(performance.now() - t)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const loaded = loadScorecard({ config: 'pulse' })
const scorecard = loaded.card
const history = (table: string) => pastSql('').replaceAll('health_scores_daily', table)
const [{ last }] = await queryRows<{ last: string }>(ch, 'SELECT toUnixTimestamp64Milli(max(as_of)) AS last FROM health_scores')
let t = Math.max(loadedAt, Number(last)) + 3_600_000
// Pulse's measures and scorecard, compiled to SQL exactly as the pure core computes them (the integration
// tests hold them equal), over the aggregates in `probe.usage` and `probe.sparse` (current: built below) or
// over measure-query.ts' queries themselves (from scratch, in the same statement).
const portfolio = await portfolioReader(ch)(new Date(t), scorecard.coreFeatures)
const values = measureValuesSql(portfolio, { usage: 'u.', sparse: 's.', firstSeen: 'a.firstSeen', asOf: "toUnixTimestamp64Milli({t:DateTime64(3, 'UTC')})" })
const card = scorecardSql(scorecard, { measure: (m) => `m_${m}`, segment: 'seg' })
const scored = (from: { usage: string; sparse: string; accounts: string }) => `
SELECT account_id, seg, ${card.score} AS raw, ${card.coverage} AS coverage, ${card.status} AS status, ${card.missing} AS missing,
  ${measuresJsonSql((m) => `m_${m}`)} AS measures
FROM (${stagedSql(`
  SELECT a.account_id AS account_id, ifNull(${values.segment}, '') AS seg,
    ${MEASURE_NAMES.map((m) => `${values.measures[m]} AS m_${m}`).join(',\n    ')}
  FROM ${from.accounts} AS a LEFT JOIN ${from.usage} AS u ON u.account_id = a.account_id LEFT JOIN ${from.sparse} AS s ON s.account_id = a.account_id`, card)})`
const CURRENT = { accounts: 'probe.first_seen', usage: 'probe.usage', sparse: 'probe.sparse' }
const SCRATCH = { accounts: `(${accountsSql('')})`, usage: `(${usageSql('', true)})`, sparse: `(${sparseSql('')})` }
const tier = tierSql(scorecard.tiers, 'smoothed')
// The scorecard is evaluated in a subquery over the measures alone, the history joined to its result: with
// the aliases over the joined columns the same SELECT took ~4x longer.
const sweep = (from: typeof CURRENT) => `
INSERT INTO probe.health_scores
WITH {t:DateTime64(3, 'UTC')} AS t,
  if(p.hasBase > 0 AND p.base.3 = {version:String}, p.base.2 + (1 - pow(2, -(toUnixTimestamp64Milli(t) - p.base.1) / ${scorecard.halfLifeMs})) * (c.raw - p.base.2), c.raw) AS smoothed,
  toUInt8(${roundSql('smoothed')}) AS sc,
  c.status = 'INSUFFICIENT_DATA' AS insufficient
SELECT c.account_id, t, now64(3), 'sweep', {version:String}, c.seg,
  c.status, if(insufficient, NULL, sc), if(insufficient, NULL, smoothed), c.raw,
  if(insufficient, '', ${tier}), l.tier, c.coverage, c.missing,
  if(p.has7 > 0 AND NOT insufficient, sc - p.d7, NULL), if(p.has30 > 0 AND NOT insufficient, sc - p.d30, NULL),
  multiIf(insufficient, 'STABLE', p.has7 > 0, multiIf(sc - p.d7 > ${scorecard.stableBand}, 'IMPROVING', sc - p.d7 < -${scorecard.stableBand}, 'DECLINING', 'STABLE'),
    p.has30 > 0, multiIf(sc - p.d30 > ${scorecard.stableBand}, 'IMPROVING', sc - p.d30 < -${scorecard.stableBand}, 'DECLINING', 'STABLE'), 'STABLE'),
  c.measures
FROM (${scored(from)}) AS c
LEFT JOIN (SELECT account_id, tier FROM probe.health_scores_latest FINAL) AS l ON l.account_id = c.account_id
LEFT JOIN (${history('probe.health_scores_daily')}) AS p ON p.account_id = c.account_id`

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const params = () => ({ t: chTime(new Date(t)), asOfs: [chTime(new Date(t))], d: day(t), d7: day(t - 7 * 86_400_000), d30: day(t - 30 * 86_400_000), version: loaded.version })

// Copies of the score tables holding the scores bench/sweep.ts left, so the history join reads real rows.
await run('DROP DATABASE IF EXISTS probe')
await run('CREATE DATABASE probe')
await run('CREATE TABLE probe.health_scores AS default.health_scores')
await run('CREATE TABLE probe.health_scores_latest AS default.health_scores_latest')
await run('CREATE TABLE probe.health_scores_daily AS default.health_scores_daily')
await run('CREATE MATERIALIZED VIEW probe.latest_mv TO probe.health_scores_latest AS SELECT * FROM probe.health_scores')
await run('CREATE MATERIALIZED VIEW probe.daily_mv TO probe.health_scores_daily AS SELECT account_id, toDate(as_of) AS day, as_of, scorecard_version, status, score, smoothed, tier, coverage FROM probe.health_scores')
await run('INSERT INTO probe.health_scores SELECT * FROM default.health_scores')
// A month of daily history for every account, as a platform sweeping hourly for a month would hold: what
// smoothing continues from and the trend compares with (the scores above span only the bench's hours).
await run(`INSERT INTO probe.health_scores_daily
SELECT account_id, toDate({t:DateTime64(3, 'UTC')}) - n AS day, as_of - toIntervalDay(n + 1), scorecard_version, status, score, smoothed, tier, coverage
FROM default.health_scores_latest FINAL ARRAY JOIN range(1, 35) AS n`, { t: chTime(new Date(t)) })
await run('OPTIMIZE TABLE probe.health_scores_daily FINAL')

// The aggregates as a pipeline that keeps them current would hold them; built here, and timed: what the
// day's first sweep would pay when the windows move.
const BUILD = [
  `CREATE OR REPLACE TABLE probe.first_seen ENGINE = MergeTree ORDER BY account_id AS ${accountsSql('')}`,
  `CREATE OR REPLACE TABLE probe.usage ENGINE = MergeTree ORDER BY account_id AS ${usageSql('', true)}`,
  `CREATE OR REPLACE TABLE probe.sparse ENGINE = MergeTree ORDER BY account_id AS ${sparseSql('')}`,
]
const BARE = `SELECT account_id, count() AS events FROM default.events
WHERE timestamp > {t:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND timestamp <= {t:DateTime64(3, 'UTC')} GROUP BY account_id`
// Parts of the sweep in the engine alone, nothing written: the whole SELECT, and measures → score alone.
const selectOnly = `SELECT count(), sum(cityHash64(*)) FROM (${sweep(CURRENT).replace('INSERT INTO probe.health_scores', '')})`
const scorecardOnly = `SELECT count(), sum(cityHash64(raw, coverage, status, measures)) FROM (${scored(CURRENT)})`
const movedTiers = "SELECT account_id FROM probe.health_scores WHERE as_of = {t:DateTime64(3, 'UTC')} AND tier != previous_tier"

const m: Record<'bare' | 'build' | 'sweep' | 'scratch' | 'select' | 'scorecard', number[]> = { bare: [], build: [], sweep: [], scratch: [], select: [], scorecard: [] }
let changed = 0
for (let r = 0; r < rounds; r++) {
  t += 3_600_000
  m.bare.push(await timed(() => queryRows(ch, BARE, params())))
  m.build.push(await timed(async () => {
    for (const q of BUILD) await run(q, params())
  }))
  m.sweep.push(await timed(async () => {
    await runScoring(sweep(CURRENT))
    // What the sweep publishes, read back: the accounts whose tier moved.
    changed = (await queryRows(ch, movedTiers, params())).length
  }))
  m.select.push(await timed(() => readScoring(selectOnly)))
  m.scorecard.push(await timed(() => readScoring(scorecardOnly)))
  // The same sweep with the aggregates computed in its own statement from the rollup and the facts, a minute on.
  t += 60_000
  m.scratch.push(await timed(async () => {
    await runScoring(sweep(SCRATCH))
    await queryRows(ch, movedTiers, params())
  }))
  console.log(`round ${r + 1}: bare scan ${m.bare[r]} ms; aggregates built ${m.build[r]} ms; sweep over them ${m.sweep[r]} ms (${changed} tiers moved); its SELECT alone ${m.select[r]} ms; measures → scores alone ${m.scorecard[r]} ms; sweep from scratch ${m.scratch[r]} ms`)
}
// The check that makes the figures Pulse's: the last sweep's raw scores, statuses and coverage against
// Pulse's own read and pure scoring of the same accounts as of the same time, with the same portfolio.
const inputs = await readScoringInputs(ch, portfolioReader(ch), scorecard, { all: true }, t, true)
const expected = scoreInputs(loaded, { ...inputs, portfolio }, { asOf: t, computedAt: t, trigger: 'sweep' }).records
const stored = new Map((await queryRows<{ account_id: string; raw_score: number | null; status: string; coverage: number }>(ch, "SELECT account_id, raw_score, status, coverage FROM probe.health_scores WHERE as_of = {t:DateTime64(3, 'UTC')}", params())).map((r) => [r.account_id, r]))
const same = expected.filter((r) => {
  const x = stored.get(r.accountId)
  return x && x.raw_score === r.rawScore && x.status === r.status && Math.abs(x.coverage - r.coverage) < 1e-6
}).length
console.log(`check: ${same.toLocaleString()} of ${expected.length.toLocaleString()} accounts' raw score (to the bit), status and coverage equal Pulse's scoring of them`)
const [scoredRows] = await queryRows<{ n: string; insufficient: string }>(ch, "SELECT count() AS n, countIf(status = 'INSUFFICIENT_DATA') AS insufficient FROM probe.health_scores WHERE as_of = {t:DateTime64(3, 'UTC')}", params())
const b = median(m.bare)
const row = (label: string, xs: number[]) => `| ${label} | ${median(xs)} | ${(median(xs) / b).toFixed(2)} |`
console.log(`
| in-engine sweep, ${Number(scoredRows.n).toLocaleString()} accounts scored per round (${scoredRows.insufficient} INSUFFICIENT_DATA), median of ${rounds} | ms | × bare scan |
| --- | ---: | ---: |
${row('bare `GROUP BY account_id` scan of the window (baseline)', m.bare)}
${row('sweep over current aggregates: score, write 3 tables, read back the moved tiers', m.sweep)}
${row('— its SELECT alone (history joined, nothing written)', m.select)}
${row('—— measures and scorecard alone (aggregates → measures → raw score, coverage, status)', m.scorecard)}
${row('aggregates rebuilt from the rollup and facts (when the windows move)', m.build)}
${row('sweep from scratch: aggregates, measures, scores and history in one INSERT … SELECT', m.scratch)}`)
await run('DROP DATABASE probe')
await ch.close()
process.exit(0)
