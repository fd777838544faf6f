/**
 * Per-request batching (DataLoader): every account field of a page (profile, score, churn risk) is read for
 * the whole page in one ClickHouse query, not one per account, and what every account shares (the churn model
 * in force, older scorecards) is read once. A page of 100 accounts thus costs a fixed handful of queries.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import DataLoader from 'dataloader'
import { modelInForce, readPredictions, type ModelInForce, type PredictionRecord } from '../processors/churn/index.js'
import { readAccountProfiles, type AccountProfileRow } from '../processors/account-profiles.js'
import { batchedReader, type ReadRows } from '../processors/batched-rows.js'
import { queryRows } from '../processors/clickhouse-rows.js'
import { readTierDistribution, type AccountAttributes, type PortfolioScope, type TierCount } from '../processors/kpis/index.js'
import { readScorecards } from '../processors/scoring/index.js'
import type { Scorecard } from '../processors/scoring/scorecard.js'

const LATEST_SCORE_SQL = `
SELECT account_id, toUnixTimestamp64Milli(as_of) AS asOf, toUnixTimestamp64Milli(computed_at) AS computedAt, scorecard_version AS version,
  segment, status, score, raw_score AS rawScore, tier, coverage, missing, change_7d AS change7d, change_30d AS change30d, direction, measures
FROM health_scores_latest FINAL WHERE account_id IN {ids:Array(String)}`

export interface Loaders {
  profile: DataLoader<string, AccountProfileRow | null>
  latestScore: DataLoader<string, Record<string, any> | null>
  prediction: DataLoader<string, PredictionRecord | null>
  scorecard: DataLoader<string, Scorecard | null>
  /** Each account's daily tier and score, oldest first (days in the current tier, sparklines). */
  dailyTiers: DataLoader<string, { day: string; tier: string; score: number | null }[]>
  /**
   * The tier distribution of a scope at one time (epoch ms). The times asked for in one tick (a portfolio's
   * tiers at the period's two ends and its trend's buckets) are read in one pass over the daily scores, so
   * the tiers and their trend cost one query, not two.
   */
  tierDistribution: DataLoader<{ at: number; scope: PortfolioScope }, TierCount[], string>
  /** Rows of independent reads asked for in the same tick, read in one query (an account 360's parts: see batched-rows.ts). */
  rows: ReadRows
  /** Every account's segment and CSM (for grouping), read once per request. */
  attributes(): Promise<Map<string, AccountAttributes>>
  /** The churn model in force (the latest training: its version, status and figures), read once per request. */
  latestTraining(): Promise<ModelInForce | null>
}

/** Rows keyed by account id, in the order DataLoader asked for them (null where there is none). */
function byId<T>(ids: readonly string[], rows: T[], id: (row: T) => string): (T | null)[] {
  const m = new Map(rows.map((r) => [id(r), r]))
  return ids.map((i) => m.get(i) ?? null)
}

const scopeKey = (scope: PortfolioScope) => `${scope.segment ?? ''}\u0000${scope.csm ?? ''}`
const tierKey = (scope: PortfolioScope, at: number) => `${scopeKey(scope)}\u0000${at}`

export function createLoaders(clickhouse: ClickHouseClient): Loaders {
  let training: Promise<ModelInForce | null> | undefined
  let attributes: Promise<Map<string, AccountAttributes>> | undefined
  return {
    profile: new DataLoader(async (ids) => {
      const found = await readAccountProfiles(clickhouse, ids)
      return ids.map((id) => found.get(id) ?? null)
    }),
    latestScore: new DataLoader(async (ids) => byId(ids, await queryRows<Record<string, any>>(clickhouse, LATEST_SCORE_SQL, { ids }), (r) => r.account_id)),
    prediction: new DataLoader(async (ids) => {
      const found = await readPredictions(clickhouse, [...ids])
      return ids.map((id) => found.get(id) ?? null)
    }),
    scorecard: new DataLoader(async (versions) => {
      const found = await readScorecards(clickhouse, [...versions])
      return versions.map((v) => found.get(v) ?? null)
    }),
    dailyTiers: new DataLoader(async (ids) => {
      const rows = await queryRows<{ account_id: string; day: string; tier: string; score: number | null }>(
        clickhouse,
        'SELECT account_id, day, argMax(tier, as_of) AS tier, argMax(score, as_of) AS score FROM health_scores_daily WHERE account_id IN {ids:Array(String)} GROUP BY account_id, day ORDER BY account_id, day',
        { ids },
      )
      const of = new Map<string, { day: string; tier: string; score: number | null }[]>()
      for (const r of rows) {
        const point = { day: r.day, tier: r.tier, score: r.score === null ? null : Number(r.score) }
        const days = of.get(r.account_id)
        if (days) days.push(point)
        else of.set(r.account_id, [point])
      }
      return ids.map((id) => of.get(id) ?? [])
    }),
    tierDistribution: new DataLoader(
      async (keys) => {
        const byScope = new Map<string, { scope: PortfolioScope; ats: Set<number> }>()
        for (const k of keys) {
          const s = scopeKey(k.scope)
          if (!byScope.has(s)) byScope.set(s, { scope: k.scope, ats: new Set() })
          byScope.get(s)!.ats.add(k.at)
        }
        const rows = new Map(keys.map((k) => [tierKey(k.scope, k.at), [] as TierCount[]]))
        for (const { scope, ats } of byScope.values()) {
          for (const r of await readTierDistribution(clickhouse, [...ats].sort((a, b) => a - b), scope)) rows.get(tierKey(scope, r.at))!.push(r)
        }
        return keys.map((k) => rows.get(tierKey(k.scope, k.at))!)
      },
      { cacheKeyFn: (k) => tierKey(k.scope, k.at) },
    ),
    rows: batchedReader(clickhouse),
    latestTraining: () => (training ??= modelInForce(clickhouse)),
    attributes: () =>
      (attributes ??= queryRows<{ account_id: string; segment: string | null; csm_id: string | null }>(clickhouse, 'SELECT account_id, segment, csm_id FROM account_profiles').then(
        (rows) => new Map(rows.map((r) => [r.account_id, { segment: r.segment, csmId: r.csm_id }])),
      )),
  }
}
