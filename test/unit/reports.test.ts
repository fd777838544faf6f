import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { recommendedAction } from '../../cli/report/actions.js'
import { expansionOpportunity, formatHealthReport, type HealthReportData, type ReportAccount } from '../../cli/report/health-report.js'
import { formatMetricsReport, mark, type MetricsReportData } from '../../cli/report/metrics-report.js'
import { monthPeriod } from '../../cli/report/report-data.js'
import { parseTargets } from '../../processors/kpis/targets.js'
import { daysInCurrentTier } from '../../processors/scoring/days-in-tier.js'
import { DEFAULT_TARGETS } from '../../processors/kpis/index.js'

const golden = (name: string) => new URL(`../fixtures/${name}`, import.meta.url)
/** Compares with the committed golden file; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
function expectGolden(name: string, text: string) {
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden(name), text)
  expect(text).toBe(fs.readFileSync(golden(name), 'utf8'))
}

const acct = (id: string, over: Partial<ReportAccount>): ReportAccount => ({
  id, name: null, score: null, mrrCents: null, csmId: null, plan: null, seatsPurchased: null, seatsActive: null, daysInTier: null, mainIssue: null, ...over,
})

// A fixed portfolio: the 004 template's tiers, two at-risk, one critical, two expansion candidates.
const tiers = [
  { tier: 'Healthy', accounts: 120, share: 0.6, mrrCents: 6_000_000, previousAccounts: 110, previousMrrCents: 5_500_000, accountsChange: 10, mrrChange: 0.0909 },
  { tier: 'Stable', accounts: 50, share: 0.25, mrrCents: 2_000_000, previousAccounts: 55, previousMrrCents: 2_100_000, accountsChange: -5, mrrChange: -0.0476 },
  { tier: 'At-risk', accounts: 20, share: 0.1, mrrCents: 700_000, previousAccounts: 18, previousMrrCents: 650_000, accountsChange: 2, mrrChange: 0.0769 },
  { tier: 'Critical', accounts: 10, share: 0.05, mrrCents: 300_000, previousAccounts: 17, previousMrrCents: 500_000, accountsChange: -7, mrrChange: -0.4 },
]
const health: HealthReportData = {
  month: '2026-11',
  asOf: '2026-11-23T12:00:00.000Z',
  tiers,
  topTier: 'Healthy',
  atRiskTier: 'At-risk',
  criticalTier: 'Critical',
  atRisk: [
    acct('acct_a', { name: 'Acme', score: 45, mrrCents: 120_000, mainIssue: { measure: 'active_days_30d', text: 'active on 4 of the last 30 days' } }),
    acct('acct_b', { score: 41, mrrCents: 80_000, mainIssue: { measure: 'support_experience', text: 'an escalated ticket' } }),
  ],
  critical: [acct('acct_c', { name: 'Crux', score: 25, mrrCents: 50_000, daysInTier: 14, csmId: 'csm_ana' })],
  expansion: [
    acct('acct_d', { name: 'Dyno', score: 95, plan: 'pro_monthly', seatsPurchased: 50, seatsActive: 46 }),
    acct('acct_e', { name: 'Echo', score: 93, plan: 'basic_monthly', seatsPurchased: 20, seatsActive: 5 }),
    acct('acct_f', { name: 'Fig', score: 82, plan: 'basic_monthly', seatsPurchased: 20, seatsActive: 5 }),
  ],
}
const metrics: MetricsReportData = {
  month: '2026-11',
  asOf: '2026-11-23T12:00:00.000Z',
  tiers,
  kpis: { nps: 42, npsResponses: 100, csat: 0.8, csatAverage: 4.41, csatResponses: 250, timeToValueDays: 5.5, adoptionRate: 0.62, expansionRate: 0.21, netRevenueRetention: 1.04 },
  targets: DEFAULT_TARGETS,
  cohorts: [
    { month: '2026-08', accounts: 40, active: 36, averageHealth: 71.4, retained: 0.9 },
    { month: '2026-09', accounts: 35, active: 34, averageHealth: 68.2, retained: 0.9714 },
    { month: '2026-10', accounts: 30, active: 30, averageHealth: 64, retained: 1 },
    { month: '2026-11', accounts: 12, active: 12, averageHealth: null, retained: 1 },
  ],
}

describe('reports', () => {
  it('formats the monthly Customer Health report as the template lays it out (golden file)', () => {
    expectGolden('report-health.md', formatHealthReport(health, 'markdown'))
    const json = JSON.parse(formatHealthReport(health, 'json'))
    expect(json.atRisk[0]).toMatchObject({ issue: 'active on 4 of the last 30 days', action: 'Outreach: usage review with the champion' })
    expect(json.expansion.map((a: ReportAccount) => a.id)).toEqual(['acct_d', 'acct_e'])
  })

  it('formats the metric tracking sheet with status marks against the targets (golden file)', () => {
    expectGolden('report-metrics.md', formatMetricsReport(metrics, 'markdown'))
    const json = JSON.parse(formatMetricsReport(metrics, 'json'))
    expect(json.metrics.map((m: { status: string }) => m.status)).toEqual(['❌', '⚠️', '✅', '❌', '✅', '✅'])
  })

  it('marks a metric met, near (within a tenth of the target), missed, or without data', () => {
    expect(mark(51, 50)).toBe('✅')
    expect(mark(46, 50)).toBe('⚠️')
    expect(mark(44, 50)).toBe('❌')
    expect(mark(6, 7, true)).toBe('✅')
    expect(mark(7.5, 7, true)).toBe('⚠️')
    expect(mark(null, 7)).toBe('—')
  })

  it('reads targets and months, and says what is wrong with bad ones', () => {
    expect(parseTargets('nps=40, ttv=5,nrr=1.05')).toEqual({ ...DEFAULT_TARGETS, nps: 40, timeToValueDays: 5, netRevenueRetention: 1.05 })
    expect(() => parseTargets('churn=3')).toThrow('targets: unknown metric "churn" in "churn=3"; use nps, csat, ttv, adoption, expansion, nrr')
    expect(() => parseTargets('nps=high')).toThrow('targets: nps needs a number, got "nps=high"')
    const now = Date.parse('2026-11-23T12:00:00Z')
    expect(monthPeriod('2026-10', now)).toEqual({ from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), asOf: '2026-11-01T00:00:00.000Z' })
    expect(monthPeriod('2026-11', now).to).toEqual(new Date(now))
    expect(() => monthPeriod('2026-13', now)).toThrow('--month must be YYYY-MM, got "2026-13"')
    expect(() => monthPeriod('2027-01', now)).toThrow('--month 2027-01 has not begun')
  })

  it('recommends an action for the main issue, finds expansion signals and counts days in a tier', () => {
    expect(recommendedAction('payment_status')).toBe('Billing follow-up with their finance contact')
    expect(recommendedAction('tickets_p1_30d')).toBe('Escalate: resolve the open support issues')
    expect(recommendedAction(undefined)).toBe('Account review')
    expect(expansionOpportunity(acct('x', { seatsPurchased: 10, seatsActive: 9 }))).toBe('More seats (9 of 10 in use)')
    expect(expansionOpportunity(acct('x', { score: 70 }))).toBeNull()
    const days = (tiers: string[]) => tiers.map((tier, i) => ({ day: `2026-11-${String(i + 1).padStart(2, '0')}`, tier }))
    expect(daysInCurrentTier(days(['Stable', 'Critical', 'Critical', 'Critical']))).toBe(3)
    expect(daysInCurrentTier([{ day: '2026-11-01', tier: 'Healthy' }, { day: '2026-11-02', tier: 'Critical' }, { day: '2026-11-09', tier: 'Critical' }])).toBe(8)
    expect(daysInCurrentTier([])).toBeNull()
  })
})
