/** Portfolio: the tiers now (counts, share, MRR, change over the period), their trend, revenue at risk and the KPIs — of every account, a segment, a CSM's book or both. */
import { useCsms } from '../components/csm-options.js'
import { Failure, Loading, TierBadge } from '../components/states.js'
import { TierTrendChart, type TierPoint } from '../components/tier-trend-chart.js'
import { money, percent, signed } from '../format.js'
import { href } from '../route.js'
import { useSubscription } from '../live.js'
import { useShownMark } from '../use-after-paint.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Portfolio($segment: String, $csm: String, $from: DateTimeISO) {
  portfolio(segment: $segment, csm: $csm, from: $from) {
    from to
    tiers { tier accounts accountsChange share mrrCents mrrShare }
    tierTrend(resolution: WEEK) { at tier accounts }
    risk { revenueAtRiskCents mrrCents forecastNetRetention horizonDays }
    cohorts { month accounts active averageHealth retained }
  }
}`

// Separate, because the KPIs scan the period's events (about a second on 50,000 accounts): the tiers are on
// screen before them.
const KPI_QUERY = `query PortfolioKpis($segment: String, $csm: String, $from: DateTimeISO) {
  portfolio(segment: $segment, csm: $csm, from: $from) {
    kpis { nps npsResponses csatAverage timeToValueDays adoptionRate expansionRate netRevenueRetention taskCompletionRate playbookAdherence }
  }
  kpiTargets { nps csatAverage timeToValueDays adoptionRate expansionRate netRevenueRetention }
}`

interface PortfolioData {
  portfolio: {
    from: string
    to: string
    tiers: { tier: string; accounts: number; accountsChange: number; share: number; mrrCents: number; mrrShare: number }[]
    tierTrend: TierPoint[]
    risk: { revenueAtRiskCents: number; mrrCents: number; forecastNetRetention: number | null; horizonDays: number } | null
    cohorts: { month: string; accounts: number; active: number; averageHealth: number | null; retained: number }[]
  }
}

const PERIODS: [string, string][] = [
  ['30', 'last 30 days'],
  ['90', 'last 90 days'],
  ['365', 'last 12 months'],
]

type Targets = Record<'nps' | 'csatAverage' | 'timeToValueDays' | 'adoptionRate' | 'expansionRate' | 'netRevenueRetention', number>
type Target = { above?: number; below?: number; text: string }

// Targets as this Pulse is configured (kpiTargets: PULSE_KPI_TARGETS, else the metric sheet's defaults).
const KPIS: { key: string; label: string; show: (v: number | null) => string; target?: (t: Targets) => Target }[] = [
  { key: 'nps', label: 'NPS', show: (v) => (v == null ? '—' : v.toFixed(0)), target: (t) => ({ above: t.nps, text: `> ${t.nps}` }) },
  { key: 'csatAverage', label: 'CSAT', show: (v) => (v == null ? '—' : `${v.toFixed(2)} / 5`), target: (t) => ({ above: t.csatAverage, text: `> ${t.csatAverage}` }) },
  { key: 'timeToValueDays', label: 'Time to value', show: (v) => (v == null ? '—' : `${v} days`), target: (t) => ({ below: t.timeToValueDays, text: `< ${t.timeToValueDays} days` }) },
  { key: 'adoptionRate', label: 'Adoption', show: (v) => percent(v), target: (t) => ({ above: t.adoptionRate, text: `> ${percent(t.adoptionRate)}` }) },
  { key: 'expansionRate', label: 'Expansion', show: (v) => percent(v), target: (t) => ({ above: t.expansionRate, text: `> ${percent(t.expansionRate)}` }) },
  { key: 'netRevenueRetention', label: 'Net revenue retention', show: (v) => percent(v), target: (t) => ({ above: t.netRevenueRetention, text: `> ${percent(t.netRevenueRetention)}` }) },
  { key: 'taskCompletionRate', label: 'Task completion', show: (v) => percent(v) },
  { key: 'playbookAdherence', label: 'Playbook adherence', show: (v) => percent(v) },
]

function status(v: number | null, t?: { above?: number; below?: number }): string {
  if (!t) return ''
  if (v == null) return 'no data'
  return (t.above !== undefined ? v > t.above : v < t.below!) ? 'met' : 'missed'
}

export function PortfolioPage({ apiKey, params, onKeyProblem }: { apiKey: string; params: URLSearchParams; onKeyProblem: () => void }) {
  const segment = params.get('segment')
  const csm = params.get('csm')
  const days = PERIODS.some(([d]) => d === params.get('days')) ? params.get('days')! : '30'
  // The period starts at a whole day, so the query (and its cached answer) is the same all day.
  const from = new Date(Math.floor(Date.now() / 86_400_000 - Number(days)) * 86_400_000).toISOString()
  const q = useQuery<PortfolioData>(apiKey, QUERY, { segment, csm, from })
  // After the tiers are on screen: on a busy server (two cores) the KPIs' scan and the CSM list would slow the
  // tiers' request and then their render, and the tiers matter first.
  const tiersShown = useShownMark('portfolio', q.status !== 'loading')
  const k = useQuery<{ portfolio: { kpis: Record<string, number | null> }; kpiTargets: Targets }>(apiKey, KPI_QUERY, { segment, csm, from }, tiersShown)
  // Tiers move as accounts are scored: re-read the portfolio when one does (at most every few seconds).
  useSubscription(apiKey, 'subscription { tierChanged { accountId } }', {}, throttle(() => (q.reload(), k.reload()), 5000))
  const csms = useCsms(apiKey, csm, tiersShown)
  // Each picker changes its own part of the view, kept in the URL, and leaves the others as they are.
  const view = (change: Record<string, string>) => (location.hash = href('portfolio', { segment, csm, days, ...change }))
  const pickers = (
    <form class="filters" aria-label="Portfolio view">
      <label>
        Segment
        <select value={segment ?? ''} onChange={(e) => view({ segment: (e.target as HTMLSelectElement).value })}>
          <option value="">All</option>
          {['ENTERPRISE', 'MID_MARKET', 'SMB'].map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </label>
      <label>
        CSM
        <select value={csm ?? ''} onChange={(e) => view({ csm: (e.target as HTMLSelectElement).value })}>
          <option value="">All</option>
          {csms.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <label>
        Period
        <select value={days} onChange={(e) => view({ days: (e.target as HTMLSelectElement).value })}>
          {PERIODS.map(([d, label]) => (
            <option key={d} value={d}>
              {label}
            </option>
          ))}
        </select>
      </label>
    </form>
  )
  // The heading and pickers stay while the portfolio loads or fails: the page always says what it is.
  const heading = (
    <>
      <h1 id="portfolio-title">Portfolio{segment || csm ? ` — ${[segment, csm && `${csm}’s book`].filter(Boolean).join(', ')}` : ''}</h1>
      {pickers}
    </>
  )
  if (q.status !== 'ok') {
    return (
      <section aria-labelledby="portfolio-title">
        {heading}
        {q.status === 'loading' ? <Loading what="the portfolio" /> : <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />}
      </section>
    )
  }
  const p = q.data.portfolio
  const period = PERIODS.find(([d]) => d === days)![1]
  const total = p.tiers.reduce((n, t) => n + t.accounts, 0)
  return (
    <section aria-labelledby="portfolio-title">
      {heading}
      <p class="muted">
        {total.toLocaleString()} scored accounts; change since {p.from.slice(0, 10)}.
      </p>
      <table class="data" aria-label="Accounts by health tier">
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col" class="num">Accounts</th>
            <th scope="col" class="num">Share</th>
            <th scope="col" class="num">Change</th>
            <th scope="col" class="num">MRR</th>
            <th scope="col" class="num">MRR share</th>
          </tr>
        </thead>
        <tbody>
          {p.tiers.map((t) => (
            <tr key={t.tier} data-tier={t.tier}>
              <th scope="row">
                <a href={href('accounts', { tier: t.tier, segment, csm })}>
                  <TierBadge tier={t.tier} />
                </a>
              </th>
              <td class="num" data-field="accounts">{t.accounts.toLocaleString()}</td>
              <td class="num">{percent(t.share)}</td>
              <td class="num">{signed(t.accountsChange)}</td>
              <td class="num">{money(t.mrrCents)}</td>
              <td class="num">{percent(t.mrrShare)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.risk && (
        <p class="risk">
          Revenue at risk over {p.risk.horizonDays} days: <strong>{money(p.risk.revenueAtRiskCents)}</strong> of {money(p.risk.mrrCents)} MRR; forecast net
          retention {percent(p.risk.forecastNetRetention, 1)}.
        </p>
      )}
      <h2>Tiers over time</h2>
      {new Set(p.tierTrend.map((t) => t.at)).size > 1 ? (
        <TierTrendChart points={p.tierTrend} tiers={p.tiers.map((t) => t.tier)} />
      ) : (
        <p class="muted">{p.tierTrend.length ? 'One day of scores so far: the trend appears as the days pass.' : 'No scores in the period yet.'}</p>
      )}
      <h2>KPIs, {period}</h2>
      {k.status === 'loading' && <Loading what="the KPIs" />}
      {k.status === 'error' && <Failure error={k.error} retry={k.reload} onKeyProblem={onKeyProblem} />}
      {k.status === 'ok' && <KpiTable kpis={k.data.portfolio.kpis} targets={k.data.kpiTargets} />}
      <h2>Cohorts by signup month</h2>
      <table class="data dense" aria-label="Cohorts by signup month">
        <thead>
          <tr>
            <th scope="col">Signed up</th>
            <th scope="col" class="num">Accounts</th>
            <th scope="col" class="num">Still active</th>
            <th scope="col" class="num">Retained</th>
            <th scope="col" class="num">Average health</th>
          </tr>
        </thead>
        <tbody>
          {p.cohorts.map((c) => (
            <tr key={c.month}>
              <th scope="row">{c.month}</th>
              <td class="num">{c.accounts}</td>
              <td class="num">{c.active}</td>
              <td class="num">{percent(c.retained)}</td>
              <td class="num">{c.averageHealth == null ? '—' : c.averageHealth.toFixed(0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function KpiTable({ kpis, targets }: { kpis: Record<string, number | null>; targets: Targets }) {
  return (
    <table class="data" aria-label="KPIs against targets">
      <thead>
        <tr>
          <th scope="col">KPI</th>
          <th scope="col" class="num">Value</th>
          <th scope="col">Target</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {KPIS.map((x) => {
          const target = x.target?.(targets)
          const verdict = status(kpis[x.key] ?? null, target)
          return (
            <tr key={x.key} data-kpi={x.key}>
              <th scope="row">{x.label}</th>
              <td class="num">{x.show(kpis[x.key] ?? null)}</td>
              <td>{target?.text ?? ''}</td>
              <td class={`status-${verdict.replace(' ', '-')}`}>{verdict}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** `fn` at most once per `ms`, the last call of a burst included. */
function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  return () => {
    timer ??= setTimeout(() => {
      timer = null
      fn()
    }, ms)
  }
}
