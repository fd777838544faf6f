/**
 * Pure: the monthly metric tracking sheet of ../shared/domain/004 — the health distribution with its change,
 * the key metrics against their targets with a status mark, and the cohort table.
 */
import type { Kpis, KpiTargets } from '../../processors/kpis/formulas.js'
import { money, type TierRow } from './health-report.js'

export interface MetricsReportData {
  month: string
  asOf: string
  tiers: (TierRow & { previousMrrCents: number })[]
  kpis: Pick<Kpis, 'nps' | 'npsResponses' | 'csat' | 'csatAverage' | 'csatResponses' | 'timeToValueDays' | 'adoptionRate' | 'expansionRate' | 'netRevenueRetention'>
  targets: KpiTargets
  cohorts: { month: string; accounts: number; active: number; averageHealth: number | null; retained: number }[]
}

export type Mark = '✅' | '⚠️' | '❌' | '—'

/** ✅ met; ⚠️ missed by less than a tenth of the target; ❌ missed by more; — no data. */
export function mark(value: number | null, target: number, lowerIsBetter = false): Mark {
  if (value === null) return '—'
  const met = lowerIsBetter ? value < target : value > target
  if (met) return '✅'
  const gap = Math.abs(value - target) / Math.max(Math.abs(target), 1e-9)
  return gap < 0.1 ? '⚠️' : '❌'
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))
const signedPct = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`)
const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`)
const num = (x: number | null, digits = 0) => (x === null ? '—' : x.toFixed(digits))

export function metricRows(d: MetricsReportData): { metric: string; current: string; target: string; status: Mark }[] {
  const k = d.kpis
  const t = d.targets
  return [
    { metric: 'NPS', current: k.nps === null ? '—' : `${Math.round(k.nps)} (${k.npsResponses} answers)`, target: `>${t.nps}`, status: mark(k.nps, t.nps) },
    { metric: 'CSAT', current: k.csatAverage === null ? '—' : `${num(k.csatAverage, 2)}/5 (${pct(k.csat)} satisfied, ${k.csatResponses} ratings)`, target: `>${t.csatAverage}`, status: mark(k.csatAverage, t.csatAverage) },
    { metric: 'Time to value', current: k.timeToValueDays === null ? '—' : `${num(k.timeToValueDays, 1)} days`, target: `<${t.timeToValueDays}`, status: mark(k.timeToValueDays, t.timeToValueDays, true) },
    { metric: 'Adoption rate', current: pct(k.adoptionRate), target: `>${pct(t.adoptionRate)}`, status: mark(k.adoptionRate, t.adoptionRate) },
    { metric: 'Expansion rate', current: pct(k.expansionRate), target: `>${pct(t.expansionRate)}`, status: mark(k.expansionRate, t.expansionRate) },
    { metric: 'Net retention', current: pct(k.netRevenueRetention), target: `>${pct(t.netRevenueRetention)}`, status: mark(k.netRevenueRetention, t.netRevenueRetention) },
  ]
}

export function formatMetricsReport(d: MetricsReportData, format: 'markdown' | 'json'): string {
  const rows = metricRows(d)
  if (format === 'json') return JSON.stringify({ ...d, metrics: rows }, null, 2)
  const table = (head: string[], body: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')
  const monthName = new Date(`${d.month}-01T00:00:00Z`).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })
  return [
    `## Customer Success Metrics: ${monthName}`,
    '',
    `_As of ${d.asOf}; changes against the start of the month._`,
    '',
    '### Health Distribution',
    table(['Status', 'Count', 'Change', 'MRR', 'Change'], d.tiers.map((t) => [t.tier, String(t.accounts), signed(t.accountsChange), money(t.mrrCents), signedPct(t.mrrChange)])),
    '',
    '### Key Metrics',
    table(['Metric', 'Current', 'Target', 'Status'], rows.map((r) => [r.metric, r.current, r.target, r.status])),
    '',
    '### Cohort Analysis',
    table(
      ['Signup Month', 'Customers', 'Active', 'Health Avg', 'Retained'],
      d.cohorts.map((c) => [c.month, String(c.accounts), String(c.active), num(c.averageHealth), c.month === d.month ? '-' : pct(c.retained)]),
    ),
    '',
  ].join('\n')
}
