// A prototype, not Pulse's sweep: what a sweep costs when no row passes through JavaScript, the floor of the
// redesign that issue 8's "within 3× of a bare scan" goal would need. Each account's measures are already
// current in a 50,000-row table (kept by the pipeline in that design; here built once from the rollup and
// the facts, and that build timed too: the day's first sweep would pay it when the windows move), the
// scorecard is compiled to SQL, and 50,000 scores go into copies of health_scores (and its latest and daily
// views) by one INSERT … SELECT with the history joined in. Its scores only approximate Pulse's (measures
// simplified, segment weights left out); what it measures is cost.
// Run after bench/sweep.ts has loaded its data: BENCH_DATA_DIR=DIR node --import tsx bench/sweep-in-engine.ts [rounds=5]
import { performance } from 'node:perf_hooks'
import { queryRows } from '../processors/clickhouse-rows.js'
import { chTime } from '../processors/clickhouse-time.js'
import { loadScorecard } from '../processors/scoring/index.js'
import { sparseSql, usageSql } from '../processors/scoring/measure-query.js'
import { pastSql } from '../processors/scoring/score-store.js'
import { isGroup, type Component, type Rule } from '../processors/scoring/scorecard.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { sweepDataSet } from './support/sweep-data.js'

const rounds = Number(process.argv[2] ?? 5)
const { dataDir, loadedAt } = sweepDataSet()
const ch = createClickHouse({ dataDir })
const run = (query: string, params: Record<string, unknown> = {}) => ch.command({ query, query_params: params })
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now()
  await f()
  return Math.round(performance.now() - t)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// The measures the pulse scorecard reads, in SQL over the current-measures table's columns (measure-values.ts
// decides "no data" per source more carefully; these are close enough to cost the same).
const MEASURES: Record<string, string> = {
  active_days_30d: 'toFloat64(activeDays30)',
  active_days_7d: 'toFloat64(activeDays7)',
  adoption_rate: 'if(seatsPurchased > 0, activeUsers30 / seatsPurchased, NULL)',
  core_feature_share: 'length(arrayIntersect(features30, {core:Array(String)})) / length({core:Array(String)})',
  wau_trend: 'if(wau4wAgo > 0, (wau - wau4wAgo) / wau4wAgo, NULL)',
  payment_status: "multiIf(exhaustedInvoices > 0, 'FAILED', unpaidInvoices > 0, 'OVERDUE', maxDaysLate90 > 0 OR failedThenPaid90, 'MINOR_ISSUES', 'CURRENT')",
  seat_utilization: 'if(seatsPurchased > 0, seatsActive / seatsPurchased, NULL)',
  mrr_change_30d: 'if(mrr30Ago > 0, (mrrCents - mrr30Ago) / mrr30Ago, NULL)',
  support_experience: "if(ticketsOpened30 + resolved30 = 0, NULL, multiIf(escalations30 > 0, 'ESCALATED', negative30 > positive30, 'NEGATIVE', positive30 > 0, 'POSITIVE', 'NEUTRAL'))",
  tickets_p1_30d: 'if(ticketsOpened30 = 0, NULL, toFloat64(ticketsP1_30))',
  csat_90d: 'if(csatCount90 > 0, csatSum90 / csatCount90, NULL)',
  nps_90d: 'if(npsCount90 > 0, (npsPromoters90 - npsDetractors90) / npsCount90 * 100, NULL)',
  days_since_csm_touch: 'if(lastCsmTouch > 0, (toUnixTimestamp64Milli(t) - lastCsmTouch) / 86400000, NULL)',
  email_engagements_30d: 'toFloat64(emailEngagements30)',
}

const num = (x: number) => `toFloat64(${x})`
function points(rule: Rule, m: string): string {
  if (rule.kind === 'linear') return `if(${m} IS NULL, NULL, greatest(0., least(100., (${m} - ${num(rule.from)}) / ${num(rule.to - rule.from)} * 100)))`
  if (rule.kind === 'categories') return `if(${m} IS NULL, NULL, multiIf(${Object.entries(rule.points).map(([k, p]) => `${m} = '${k}', ${num(p)}`).join(', ')}, 0.))`
  return `if(${m} IS NULL, NULL, multiIf(${rule.bands.map((b) => `${m} >= ${b.min}${b.max === undefined ? '' : ` AND ${m} < ${b.max}`}, ${num(b.points)}`).join(', ')}, 0.))`
}
// A weighted mean over the parts that have data: weights re-normalized, NULL when none has.
const mean = (parts: [string, number][]) => {
  const weight = parts.map(([p, w]) => `if(${p} IS NULL, 0, ${w})`).join(' + ')
  return `if((${weight}) = 0, NULL, (${parts.map(([p, w]) => `coalesce(${p} * ${w}, 0)`).join(' + ')}) / (${weight}))`
}
/** The scorecard as SQL aliases: one per measure, per component's points, per group, then raw and coverage. */
function compile(components: Component[]): string {
  const aliases = Object.entries(MEASURES).map(([name, sql]) => `${sql} AS m_${name}`)
  const leaves: [string, number][] = []
  const top: [string, number][] = []
  for (const c of components) {
    const kids = isGroup(c) ? c.components : [c]
    for (const leaf of kids) {
      aliases.push(`${points(leaf.rule, `m_${leaf.measure}`)} AS p_${c.name}_${leaf.name}`)
      leaves.push([`p_${c.name}_${leaf.name}`, (c.weight * leaf.weight) / kids.reduce((s, k) => s + k.weight, 0)])
    }
    aliases.push(`${mean(kids.map((k) => [`p_${c.name}_${k.name}`, k.weight]))} AS g_${c.name}`)
    top.push([`g_${c.name}`, c.weight])
  }
  const total = top.reduce((s, [, w]) => s + w, 0)
  aliases.push(`${mean(top)} AS raw`)
  aliases.push(`(${leaves.map(([p, w]) => `if(${p} IS NULL, 0, ${w})`).join(' + ')}) / ${total} AS coverage`)
  return aliases.join(',\n  ')
}

const scorecard = loadScorecard({ config: 'pulse' }).card
const tiers = scorecard.tiers.map((t) => `sc >= ${t.min}, '${t.name}'`).join(', ')
const history = (table: string) => pastSql('').replaceAll('health_scores_daily', table)
// The scorecard is evaluated in a subquery over the measures alone, the history joined to its result: with
// the aliases over the joined columns the same SELECT took ~4x longer.
const SCORED = `
WITH {t:DateTime64(3, 'UTC')} AS t,
  ${compile(scorecard.components)}
SELECT account_id, segment, raw, coverage,
  arrayFilter(x -> x != '', [${scorecard.components.map((c) => `if(g_${c.name} IS NULL, '${c.name}', '')`).join(', ')}]) AS missing,
  toJSONString(CAST(tuple(${Object.keys(MEASURES).map((k) => `m_${k}`).join(', ')}),
    'Tuple(${Object.keys(MEASURES).map((k) => `${k} ${k.endsWith('_status') || k === 'support_experience' ? 'Nullable(String)' : 'Nullable(Float64)'}`).join(', ')})')) AS measures
FROM probe.current`
const SWEEP = `
INSERT INTO probe.health_scores
WITH {t:DateTime64(3, 'UTC')} AS t,
  if(p.hasBase > 0, p.base.2 + (c.raw - p.base.2) * (1 - pow(0.5, (toUnixTimestamp64Milli(t) - p.base.1) / ${scorecard.halfLifeMs})), c.raw) AS smoothed,
  toUInt8(round(smoothed)) AS sc,
  c.coverage < ${scorecard.minimumCoverage} AS insufficient
SELECT c.account_id, t, now64(3), 'sweep', 'prototype', c.segment,
  if(insufficient, 'INSUFFICIENT_DATA', 'OK'), if(insufficient, NULL, sc), smoothed, c.raw,
  if(insufficient, '', multiIf(${tiers}, '')), l.tier, c.coverage, c.missing,
  if(p.has7 > 0, sc - p.d7, NULL), if(p.has30 > 0, sc - p.d30, NULL),
  multiIf(p.has7 = 0, 'stable', sc - p.d7 > ${scorecard.stableBand}, 'improving', sc - p.d7 < -${scorecard.stableBand}, 'declining', 'stable'),
  c.measures
FROM (${SCORED}) AS c
LEFT JOIN (SELECT account_id, tier FROM probe.health_scores_latest FINAL) AS l ON l.account_id = c.account_id
LEFT JOIN (${history('probe.health_scores_daily')}) AS p ON p.account_id = c.account_id
SETTINGS join_use_nulls = 1`

const [{ last }] = await queryRows<{ last: string }>(ch, 'SELECT toUnixTimestamp64Milli(max(as_of)) AS last FROM health_scores')
let t = Math.max(loadedAt, Number(last)) + 3_600_000
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const params = () => ({ t: chTime(new Date(t)), asOfs: [chTime(new Date(t))], d: day(t), d7: day(t - 7 * 86_400_000), d30: day(t - 30 * 86_400_000), core: ['f0', 'f1', 'f2', 'f3', 'f4'] })

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

const BUILD = `CREATE OR REPLACE TABLE probe.current ENGINE = MergeTree ORDER BY account_id AS
SELECT u.* EXCEPT (asOf), s.* EXCEPT (account_id, asOf, subscription, seats), subscription.1 AS mrrCents, seats.1 AS seatsPurchased, seats.2 AS seatsActive
FROM (${usageSql('', true)}) AS u FULL JOIN (${sparseSql('')}) AS s USING account_id`
const BARE = `SELECT account_id, count() AS events FROM default.events
WHERE timestamp > {t:DateTime64(3, 'UTC')} - INTERVAL 30 DAY AND timestamp <= {t:DateTime64(3, 'UTC')} GROUP BY account_id`
// Parts of the sweep in the engine alone, nothing written: the whole SELECT, and the scorecard alone.
const selectOnly = `SELECT count(), sum(cityHash64(*)) FROM (${SWEEP.replace('INSERT INTO probe.health_scores', '').replace('SETTINGS join_use_nulls = 1', '')}) SETTINGS join_use_nulls = 1`
const scorecardOnly = `WITH {t:DateTime64(3, 'UTC')} AS t, ${compile(scorecard.components)} SELECT count(), sum(cityHash64(raw, coverage)) FROM probe.current`

const m: Record<'bare' | 'build' | 'sweep' | 'select' | 'scorecard', number[]> = { bare: [], build: [], sweep: [], select: [], scorecard: [] }
let changed = 0
for (let r = 0; r < rounds; r++) {
  t += 3_600_000
  m.bare.push(await timed(() => queryRows(ch, BARE, params())))
  m.build.push(await timed(() => run(BUILD, params())))
  m.sweep.push(await timed(async () => {
    await run(SWEEP, params())
    // What the sweep publishes, read back: the accounts whose tier moved.
    changed = (await queryRows(ch, "SELECT account_id FROM probe.health_scores WHERE as_of = {t:DateTime64(3, 'UTC')} AND tier != previous_tier", params())).length
  }))
  m.select.push(await timed(() => queryRows(ch, selectOnly, params())))
  m.scorecard.push(await timed(() => queryRows(ch, scorecardOnly, params())))
  console.log(`round ${r + 1}: bare scan ${m.bare[r]} ms; measures built ${m.build[r]} ms; sweep in the engine ${m.sweep[r]} ms (${changed} tiers moved); its SELECT alone ${m.select[r]} ms; scorecard alone ${m.scorecard[r]} ms`)
}
const [scored] = await queryRows<{ n: string; insufficient: string }>(ch, "SELECT count() AS n, countIf(status = 'INSUFFICIENT_DATA') AS insufficient FROM probe.health_scores WHERE as_of = {t:DateTime64(3, 'UTC')}", params())
const b = median(m.bare)
const row = (label: string, xs: number[]) => `| ${label} | ${median(xs)} | ${(median(xs) / b).toFixed(2)} |`
console.log(`
| prototype, ${Number(scored.n).toLocaleString()} accounts scored per round (${scored.insufficient} INSUFFICIENT_DATA), median of ${rounds} | ms | × bare scan |
| --- | ---: | ---: |
${row('bare `GROUP BY account_id` scan of the window (baseline)', m.bare)}
${row('sweep in the engine: score, write 3 tables, read back the moved tiers', m.sweep)}
${row('— its SELECT alone (history joined, nothing written)', m.select)}
${row('—— the scorecard alone (measures → points → raw score, coverage)', m.scorecard)}
${row('measures rebuilt from the rollup and facts (when the windows move)', m.build)}`)
await run('DROP DATABASE probe')
await ch.close()
process.exit(0)
