/**
 * The portfolio's shape from ClickHouse: how accounts and MRR spread over health tiers at any times (one
 * pass for a whole trend: each stored row is copied by `arrayJoin` to the times it counts for), the churn
 * model's revenue at risk, and signup cohorts. "Active" means a subscription not CANCELED as of the time.
 * Each read covers every account or those a `PortfolioScope` names (a segment, a CSM's book, or both), by
 * the accounts' current profiles, as the KPIs' groups are (`AccountAttributes`).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'

export interface TierCount {
  /** Epoch ms the distribution is as of. */
  at: number
  tier: string
  accounts: number
  mrrCents: number
}

/** The accounts a portfolio covers: one segment, one CSM's book (the profile's csmId), both, or (neither) all. */
export interface PortfolioScope {
  segment?: string | null
  csm?: string | null
}

const ATS = "{ats:Array(DateTime64(3, 'UTC'))}"
// A profile in the scope; an empty parameter matches every profile.
const PROFILE_IN_SCOPE = "({segment:String} = '' OR segment = {segment:String}) AND ({csm:String} = '' OR csm_id = {csm:String})"
// A row of an account in the scope (no lookup of the profiles when the scope is everything).
const IN_SCOPE = `(({segment:String} = '' AND {csm:String} = '') OR account_id IN (SELECT account_id FROM account_profiles WHERE ${PROFILE_IN_SCOPE}))`

/** The scope as query parameters ('' for "any"). */
function scopeParams(scope: PortfolioScope): { segment: string; csm: string } {
  return { segment: scope.segment ?? '', csm: scope.csm ?? '' }
}

// Each account's tier is its last daily score up to the time; its MRR and status the last subscription_updated.
const TIERS_SQL = `
SELECT toUnixTimestamp64Milli(d.t) AS at, d.tier AS tier, count() AS accounts, sum(ifNull(f.mrr, 0)) AS mrrCents
FROM (
  SELECT account_id, t, argMax(tier, as_of) AS tier
  FROM (SELECT account_id, as_of, tier, arrayJoin(arrayFilter(x -> as_of <= x, ${ATS})) AS t FROM health_scores_daily WHERE as_of <= arrayMax(${ATS}) AND ${IN_SCOPE})
  GROUP BY account_id, t
) AS d
LEFT JOIN (
  SELECT account_id, t, argMax(mrr, timestamp) AS mrr, argMax(status, timestamp) AS status
  FROM (
    SELECT account_id, timestamp, JSONExtractInt(properties, 'mrrCents') AS mrr, JSONExtractString(properties, 'status') AS status,
      arrayJoin(arrayFilter(x -> timestamp <= x, ${ATS})) AS t
    FROM account_facts WHERE event = 'subscription_updated' AND timestamp <= arrayMax(${ATS}) AND ${IN_SCOPE}
  )
  GROUP BY account_id, t
) AS f ON f.account_id = d.account_id AND f.t = d.t
WHERE d.tier != '' AND ifNull(f.status, '') != 'CANCELED'
GROUP BY at, tier
ORDER BY at, tier
SETTINGS join_use_nulls = 1`

/** The tier distribution at each time of `ats` (epoch ms) of the accounts in the scope. */
export async function readTierDistribution(clickhouse: ClickHouseClient, ats: number[], scope: PortfolioScope = {}): Promise<TierCount[]> {
  if (!ats.length) return []
  const rows = await queryRows<Record<string, string | number>>(clickhouse, TIERS_SQL, { ats: ats.map((t) => chTime(new Date(t))), ...scopeParams(scope) })
  return rows.map((r) => ({ at: Number(r.at), tier: String(r.tier), accounts: Number(r.accounts), mrrCents: Number(r.mrrCents) }))
}

export type TrendResolution = 'DAY' | 'WEEK' | 'MONTH'

/** Pure: the ends of the day/week (Monday)/month buckets covering [from, to), at most `max`, each clipped to `to`. */
export function bucketEnds(from: number, to: number, resolution: TrendResolution, max = 400): number[] {
  const ends: number[] = []
  const d = new Date(from)
  let start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), resolution === 'MONTH' ? 1 : d.getUTCDate())
  if (resolution === 'WEEK') start -= ((new Date(start).getUTCDay() + 6) % 7) * 86_400_000
  while (start < to && ends.length < max) {
    const s = new Date(start)
    const next = resolution === 'DAY' ? start + 86_400_000 : resolution === 'WEEK' ? start + 7 * 86_400_000 : Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1)
    ends.push(Math.min(next, to) - 1)
    start = next
  }
  return ends
}

export interface RevenueAtRisk {
  modelVersion: string
  accounts: number
  mrrCents: number
  revenueAtRiskCents: number
}

const RISK_SQL = `
SELECT count() AS accounts, sum(ifNull(mrr_cents, 0)) AS mrrCents, sum(probability * ifNull(mrr_cents, 0)) AS revenueAtRiskCents
FROM churn_predictions FINAL
WHERE model_version = {modelVersion:String} AND ${IN_SCOPE}`

/** The in-force model's predictions of the scope summed: MRR of the predicted (active) accounts and probability × MRR. */
export async function readRevenueAtRisk(clickhouse: ClickHouseClient, modelVersion: string, scope: PortfolioScope = {}): Promise<RevenueAtRisk> {
  const [r] = await queryRows<Record<string, string | number>>(clickhouse, RISK_SQL, { modelVersion, ...scopeParams(scope) })
  return { modelVersion, accounts: Number(r?.accounts ?? 0), mrrCents: Number(r?.mrrCents ?? 0), revenueAtRiskCents: Number(r?.revenueAtRiskCents ?? 0) }
}

export interface Cohort {
  /** YYYY-MM of signup (account_updated's signupDate, else the first event). */
  month: string
  accounts: number
  active: number
  /** Average latest health score of the cohort's active accounts that have one. */
  averageHealth: number | null
  /** active / accounts. */
  retained: number
}

const COHORTS_SQL = `
SELECT formatDateTime(toStartOfMonth(ifNull(p.signup_date, toDate32(p.first_seen))), '%Y-%m') AS month, count() AS accounts,
  countIf(p.is_active) AS active, avgIf(s.score, p.is_active AND s.score IS NOT NULL) AS averageHealth
FROM (
  SELECT account_id, signup_date, first_seen, ifNull(subscription_status, '') != 'CANCELED' AND canceled_at IS NULL AS is_active
  FROM account_profiles WHERE ${PROFILE_IN_SCOPE}
) AS p
LEFT JOIN (SELECT account_id, score FROM health_scores_latest FINAL) AS s ON s.account_id = p.account_id
GROUP BY month
ORDER BY month
SETTINGS join_use_nulls = 1`

export async function readCohorts(clickhouse: ClickHouseClient, scope: PortfolioScope = {}): Promise<Cohort[]> {
  const rows = await queryRows<Record<string, string | number | null>>(clickhouse, COHORTS_SQL, scopeParams(scope))
  return rows.map((r) => {
    const accounts = Number(r.accounts)
    const active = Number(r.active)
    const avg = r.averageHealth === null || Number.isNaN(Number(r.averageHealth)) ? null : Number(r.averageHealth)
    return { month: String(r.month), accounts, active, averageHealth: avg, retained: accounts ? active / accounts : 0 }
  })
}

/** The CSMs a portfolio can be narrowed to: the distinct csmIds of the current profiles, in order. */
export async function readCsmIds(clickhouse: ClickHouseClient): Promise<string[]> {
  const rows = await queryRows<{ csm_id: string }>(clickhouse, 'SELECT DISTINCT csm_id FROM account_profiles WHERE csm_id IS NOT NULL ORDER BY csm_id')
  return rows.map((r) => r.csm_id)
}
