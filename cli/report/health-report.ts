/**
 * Pure: the monthly "Customer Health" report of ../shared/domain/004's dashboard template — overview by
 * tier, at-risk accounts with their main issue and recommended action, critical accounts with days in
 * Critical and owner, expansion-ready accounts — as Markdown or JSON.
 */
import { recommendedAction } from './actions.js'

export interface TierRow {
  tier: string
  accounts: number
  share: number
  mrrCents: number
  previousAccounts: number
  accountsChange: number
  mrrChange: number | null
}

export interface ReportAccount {
  id: string
  name: string | null
  score: number | null
  mrrCents: number | null
  csmId: string | null
  plan: string | null
  seatsPurchased: number | null
  seatsActive: number | null
  daysInTier: number | null
  /** The first driver of the score: the measure and its value in words. */
  mainIssue: { measure: string; text: string } | null
}

export interface HealthReportData {
  /** YYYY-MM. */
  month: string
  /** The overview is as of this time (the end of the month, or now); the account lists are as of now. */
  asOf: string
  tiers: TierRow[]
  atRiskTier: string
  criticalTier: string
  topTier: string
  atRisk: ReportAccount[]
  critical: ReportAccount[]
  expansion: ReportAccount[]
}

export const money = (cents: number | null) => (cents === null ? '—' : `$${Math.round(cents / 100).toLocaleString('en-US')}`)
const pct = (x: number) => `${Math.round(x * 100)}%`
const name = (a: ReportAccount) => a.name ?? a.id
const monthName = (month: string) => new Date(`${month}-01T00:00:00Z`).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })

/** Pure: an expansion opportunity in words, or null when the account shows none. */
export function expansionOpportunity(a: ReportAccount): string | null {
  if (a.seatsPurchased && a.seatsActive !== null && a.seatsActive / a.seatsPurchased >= 0.85) return `More seats (${a.seatsActive} of ${a.seatsPurchased} in use)`
  if (a.score !== null && a.score >= 90) return a.plan ? `Upsell from ${a.plan}` : 'Upsell'
  return null
}

export function formatHealthReport(d: HealthReportData, format: 'markdown' | 'json'): string {
  const withAction = (a: ReportAccount) => ({ ...a, issue: a.mainIssue?.text ?? null, action: recommendedAction(a.mainIssue?.measure) })
  const expansion = d.expansion.map((a) => ({ ...a, opportunity: expansionOpportunity(a) })).filter((a) => a.opportunity)
  if (format === 'json') return JSON.stringify({ ...d, atRisk: d.atRisk.map(withAction), expansion }, null, 2)
  const table = (head: string[], rows: string[][], empty: string) =>
    rows.length ? [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') : `_${empty}_`
  const total = d.tiers.reduce((n, t) => n + t.accounts, 0)
  return [
    `## Customer Health: ${monthName(d.month)}`,
    '',
    `_Overview as of ${d.asOf}; ${total} active scored accounts. Account lists as of now._`,
    '',
    '### Overview',
    table(['Status', 'Customers', '%', 'MRR'], d.tiers.map((t) => [t.tier, String(t.accounts), pct(t.share), money(t.mrrCents)]), 'No scored accounts.'),
    '',
    `### At-Risk Accounts (${d.atRiskTier})`,
    table(['Customer', 'Health', 'MRR', 'Issue', 'Action'], d.atRisk.map(withAction).map((a) => [name(a), String(a.score ?? '—'), money(a.mrrCents), a.issue ?? '—', a.action]), 'None.'),
    '',
    `### Critical Accounts (${d.criticalTier})`,
    table(['Customer', 'Health', 'MRR', `Days ${d.criticalTier}`, 'Owner'], d.critical.map((a) => [name(a), String(a.score ?? '—'), money(a.mrrCents), String(a.daysInTier ?? '—'), a.csmId ?? 'unassigned']), 'None.'),
    '',
    `### Expansion Ready (${d.topTier})`,
    table(['Customer', 'Health', 'Current', 'Opportunity'], expansion.map((a) => [name(a), String(a.score ?? '—'), a.plan ?? '—', a.opportunity!]), 'None.'),
    '',
  ].join('\n')
}
