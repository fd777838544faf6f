/** Reads what the reports show from a running Pulse's GraphQL API (the reports are views of the public API). */
import type { KpiTargets } from '../../processors/kpis/formulas.js'
import type { GraphQLEndpoint } from '../credentials.js'
import { graphqlRequest } from '../graphql-request.js'
import type { HealthReportData, ReportAccount, TierRow } from './health-report.js'
import type { MetricsReportData } from './metrics-report.js'

/** Pure: the month's period, ending now when the month is the current one. */
export function monthPeriod(month: string, now: number): { from: Date; to: Date; asOf: string } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--month must be YYYY-MM, got "${month}"`)
  const from = new Date(`${month}-01T00:00:00Z`)
  const next = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1))
  if (from.getTime() > now) throw new Error(`--month ${month} has not begun`)
  const to = new Date(Math.min(next.getTime(), now))
  return { from, to, asOf: to.toISOString() }
}

const TIERS = 'tier accounts share mrrCents previousAccounts previousMrrCents accountsChange mrrChange'
const NODE = 'id daysInTier profile { name mrrCents csmId plan seatsPurchased seatsActive } healthScore { score drivers { measure text } }'

interface Node {
  id: string
  daysInTier: number | null
  profile: { name: string | null; mrrCents: number | null; csmId: string | null; plan: string | null; seatsPurchased: number | null; seatsActive: number | null } | null
  healthScore: { score: number | null; drivers: { measure: string; text: string }[] } | null
}

const account = (n: Node): ReportAccount => ({
  id: n.id,
  name: n.profile?.name ?? null,
  score: n.healthScore?.score ?? null,
  mrrCents: n.profile?.mrrCents ?? null,
  csmId: n.profile?.csmId ?? null,
  plan: n.profile?.plan ?? null,
  seatsPurchased: n.profile?.seatsPurchased ?? null,
  seatsActive: n.profile?.seatsActive ?? null,
  daysInTier: n.daysInTier,
  mainIssue: n.healthScore?.drivers[0] ? { measure: n.healthScore.drivers[0].measure, text: n.healthScore.drivers[0].text } : null,
})

export async function readHealthReport(endpoint: GraphQLEndpoint, month: string, now: number): Promise<HealthReportData> {
  const { from, to, asOf } = monthPeriod(month, now)
  const { portfolio } = await graphqlRequest<{ portfolio: { tiers: (TierRow & { previousMrrCents: number })[] } }>(endpoint, `query($from: DateTimeISO, $to: DateTimeISO) { portfolio(from: $from, to: $to) { tiers { ${TIERS} } } }`, { from, to })
  const names = portfolio.tiers.map((t) => t.tier)
  // The scorecard's tiers, best first: the last is Critical, the one before At-risk, the first the healthy one.
  const [topTier, atRiskTier, criticalTier] = [names[0], names[names.length - 2], names[names.length - 1]]
  const list = `edges { node { ${NODE} } }`
  const data = await graphqlRequest<Record<'atRisk' | 'critical' | 'top', { edges: { node: Node }[] }>>(
    endpoint,
    `query($atRisk: [String!], $critical: [String!], $top: [String!]) {
      atRisk: accounts(filter: { tiers: $atRisk }, orderBy: { field: MRR, direction: DESC }, first: 100) { ${list} }
      critical: accounts(filter: { tiers: $critical }, orderBy: { field: MRR, direction: DESC }, first: 100) { ${list} }
      top: accounts(filter: { tiers: $top }, orderBy: { field: SCORE, direction: DESC }, first: 100) { ${list} }
    }`,
    { atRisk: [atRiskTier], critical: [criticalTier], top: [topTier] },
  )
  return {
    month,
    asOf,
    tiers: portfolio.tiers,
    topTier,
    atRiskTier,
    criticalTier,
    atRisk: data.atRisk.edges.map((e) => account(e.node)),
    critical: data.critical.edges.map((e) => account(e.node)),
    expansion: data.top.edges.map((e) => account(e.node)),
  }
}

export async function readMetricsReport(endpoint: GraphQLEndpoint, month: string, now: number, targets: KpiTargets): Promise<MetricsReportData> {
  const { from, to, asOf } = monthPeriod(month, now)
  const { portfolio } = await graphqlRequest<{ portfolio: Omit<MetricsReportData, 'month' | 'asOf' | 'targets'> }>(
    endpoint,
    `query($from: DateTimeISO, $to: DateTimeISO) { portfolio(from: $from, to: $to) {
      tiers { ${TIERS} }
      kpis { nps npsResponses csat csatAverage csatResponses timeToValueDays adoptionRate expansionRate netRevenueRetention }
      cohorts { month accounts active averageHealth retained }
    } }`,
    { from, to },
  )
  // The cohorts up to the report's month, the last twelve.
  return { month, asOf, targets, ...portfolio, cohorts: portfolio.cohorts.filter((c) => c.month <= month).slice(-12) }
}
