/**
 * The score history in ClickHouse: what the next score needs of the previous ones (latest per account, and
 * the published scores of 7 and 30 days before), and the insert of new scores. `health_scores_latest` and
 * `health_scores_daily` are kept from `health_scores` by materialized views (migration 007).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { readerOf, type ReadRows } from '../batched-rows.js'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'
import type { HealthScoreRecord, ScoreHistory } from './account-score.js'
import { selectionFilter, type AccountSelection } from './measure-query.js'
import { MEASURE_NAMES } from './measures.js'
import type { Scorecard } from './scorecard.js'
import type { LoadedScorecard } from './scorecard-file.js'

const DAY = 86_400_000

export const latestSql = (filter: string) => `
SELECT account_id, toUnixTimestamp64Milli(as_of) AS asOf, scorecard_version AS version, score, tier
FROM health_scores_latest FINAL
WHERE 1 ${filter}`

// Each day's last score: the latest of the 3 days before the as-of day (what smoothing continues from), and
// the nearest day at or before 7 (and 30) days ago, looking back at most 3 days.
export const pastSql = (filter: string) => `
SELECT account_id,
  argMaxIf(tuple(toUnixTimestamp64Milli(as_of), smoothed, scorecard_version), day, day < {d:Date} AND day >= {d:Date} - 3 AND smoothed IS NOT NULL) AS base,
  countIf(day < {d:Date} AND day >= {d:Date} - 3 AND smoothed IS NOT NULL) AS hasBase,
  argMaxIf(score, day, day <= {d7:Date} AND day > {d7:Date} - 3) AS d7,
  countIf(day <= {d7:Date} AND day > {d7:Date} - 3 AND score IS NOT NULL) AS has7,
  argMaxIf(score, day, day <= {d30:Date} AND day > {d30:Date} - 3) AS d30,
  countIf(day <= {d30:Date} AND day > {d30:Date} - 3 AND score IS NOT NULL) AS has30
FROM health_scores_daily FINAL
WHERE ((day < {d:Date} AND day >= {d:Date} - 3) OR (day <= {d7:Date} AND day > {d7:Date} - 3) OR (day <= {d30:Date} AND day > {d30:Date} - 3)) ${filter}
GROUP BY account_id`

/** `pastSql`'s days for a score as of `asOf` (epoch ms): the as-of day, and the days 7 and 30 days before it. */
export function pastDays(asOf: number): { d: string; d7: string; d30: string } {
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10)
  return { d: date(asOf), d7: date(asOf - 7 * DAY), d30: date(asOf - 30 * DAY) }
}

export async function readScoreHistory(clickhouse: ClickHouseClient, selection: AccountSelection, asOf: number, read: ReadRows = readerOf(clickhouse)): Promise<Map<string, ScoreHistory>> {
  const { filter, params: ids, none } = selectionFilter(selection)
  if (none) return new Map()
  const [latest, past] = await Promise.all([
    read<{ account_id: string; asOf: string; version: string; score: number | null; tier: string }>(latestSql(filter), ids),
    read<{ account_id: string; base: [string, number, string]; hasBase: string; d7: number | null; has7: string; d30: number | null; has30: string }>(pastSql(filter), { ...ids, ...pastDays(asOf) }),
  ])
  const history = new Map<string, ScoreHistory>()
  const of = (id: string) => history.get(id) ?? history.set(id, { daysAgo: { d7: null, d30: null } }).get(id)!
  for (const l of latest) {
    of(l.account_id).previous = { asOf: Number(l.asOf), scorecardVersion: l.version, score: l.score, tier: l.tier || null }
  }
  for (const p of past) {
    const h = of(p.account_id)
    h.daysAgo = { d7: Number(p.has7) ? Number(p.d7) : null, d30: Number(p.has30) ? Number(p.d30) : null }
    if (Number(p.hasBase)) h.base = { asOf: Number(p.base[0]), smoothed: Number(p.base[1]), scorecardVersion: p.base[2] }
  }
  return history
}

export async function insertScores(clickhouse: ClickHouseClient, records: HealthScoreRecord[]): Promise<void> {
  if (!records.length) return
  // A pass shares one or two times among all its rows: format each once.
  const times = new Map<number, string>()
  const time = (ms: number) => times.get(ms) ?? times.set(ms, chTime(new Date(ms))).get(ms)!
  // Rows as arrays in the columns' order (JSONCompactEachRow): no key to write and match per value, ~13 % off
  // a sweep's insert of 50,000 scores. The measures go as their values alone, in MEASURE_NAMES' order: the
  // table's view (migration 017) writes them with their names into health_scores, half the bytes parsed.
  await clickhouse.insert({
    table: 'health_scores_input',
    format: 'JSONCompactEachRow',
    columns: [...SCORE_COLUMNS],
    values: records.map((r) => [
      r.accountId,
      time(r.asOf),
      time(r.computedAt),
      r.trigger,
      r.scorecardVersion,
      r.segment ?? '',
      r.status,
      r.score,
      r.smoothed,
      r.rawScore,
      r.tier ?? '',
      r.previousTier ?? '',
      r.coverage,
      r.missing,
      r.trend.change7d,
      r.trend.change30d,
      r.trend.direction,
      JSON.stringify(measureValuesInOrder(r.measures)),
    ]),
  })
}

const SCORE_COLUMNS = ['account_id', 'as_of', 'computed_at', 'trigger', 'scorecard_version', 'segment', 'status', 'score', 'smoothed', 'raw_score', 'tier', 'previous_tier', 'coverage', 'missing', 'change_7d', 'change_30d', 'direction', 'measure_values'] as const

/**
 * The values of every measure in MEASURE_NAMES' order, null where absent, each number kept to 6 significant
 * digits: enough to explain a score, a third of the bytes of a full double. A measure outside the list would
 * be dropped without a word, so it is refused.
 */
export function measureValuesInOrder(measures: HealthScoreRecord['measures']): unknown[] {
  for (const k in measures) if (!KNOWN.has(k)) throw new Error(`measure "${k}" is not in MEASURE_NAMES (processors/scoring/measures.ts): add it there and to health_scores_input_mv by a migration`)
  return MEASURE_NAMES.map((k) => {
    const v = measures[k] ?? null
    return typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v
  })
}

const KNOWN = new Set(MEASURE_NAMES)

/** Records the scorecard a process scores with, so scores made with it can be explained later. */
export async function registerScorecard(clickhouse: ClickHouseClient, s: LoadedScorecard): Promise<void> {
  await clickhouse.insert({
    table: 'scorecards',
    format: 'JSONEachRow',
    values: [{ version: s.version, name: s.card.name, source: s.source, definition: JSON.stringify(s.card), registered_at: chTime(new Date()) }],
  })
}

/** Scorecards by version (those never registered are left out). */
export async function readScorecards(clickhouse: ClickHouseClient, versions: string[]): Promise<Map<string, Scorecard>> {
  if (!versions.length) return new Map()
  const found = await queryRows<{ version: string; definition: string }>(clickhouse, 'SELECT version, argMax(definition, registered_at) AS definition FROM scorecards WHERE version IN {versions:Array(String)} GROUP BY version', { versions })
  return new Map(found.map((r) => [r.version, JSON.parse(r.definition) as Scorecard]))
}

/** How many accounts' latest score came from another scorecard version than `version`. */
export async function countScoredWithOther(clickhouse: ClickHouseClient, version: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM health_scores_latest FINAL WHERE scorecard_version != {version:String}', { version })
  return Number(row?.n ?? 0)
}
