import type { GraphQLEndpoint } from './credentials.js'
import { graphqlRequest } from './graphql-request.js'
import { formatMetricsReport } from './report/metrics-report.js'
import { parseTargets } from '../processors/kpis/targets.js'
import { readMetricsReport } from './report/report-data.js'
import crypto from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

const DAY = 86_400_000

interface DemoAccount {
  id: string
  name: string
  segment: 'ENTERPRISE' | 'MID_MARKET' | 'SMB'
  seats: number
  users: number
  days: number
  features: string[]
  mrrCents: number
  /** What else the account went through: a failed payment, a P1 ticket, an NPS answer. */
  paymentFailed?: boolean
  p1Ticket?: boolean
  nps: number
}

// Three customers with visibly different health, so the scores spread across the tiers.
const ACCOUNTS: DemoAccount[] = [
  { id: 'acct_acme', name: 'Acme Corp', segment: 'ENTERPRISE', seats: 15, users: 12, days: 24, features: ['reports.export', 'dashboards.share', 'alerts.create', 'api.keys', 'sso.configure'], mrrCents: 450_000, nps: 9 },
  { id: 'acct_globex', name: 'Globex', segment: 'MID_MARKET', seats: 20, users: 6, days: 12, features: ['reports.export', 'dashboards.share'], mrrCents: 120_000, p1Ticket: true, nps: 7 },
  { id: 'acct_initech', name: 'Initech', segment: 'SMB', seats: 10, users: 1, days: 3, features: [], mrrCents: 30_000, paymentFailed: true, p1Ticket: true, nps: 3 },
]

/** Builds the demo's events: account traits, subscription and seats, logins and feature use spread over the last weeks, billing, support and NPS. */
export function demoEvents(now = Date.now()): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = []
  const today = Math.floor(now / DAY)
  for (const a of ACCOUNTS) {
    const add = (event: string, at: number, properties: Record<string, unknown>, userId?: string) =>
      events.push({ event, messageId: crypto.randomUUID(), accountId: a.id, ...(userId ? { userId } : {}), timestamp: new Date(at).toISOString(), properties })
    const start = now - 29 * DAY
    add('account_updated', start, { name: a.name, segment: a.segment, industry: null, csmId: 'csm_dana', signupDate: today - 200, country: 'US' })
    add('subscription_updated', start, { plan: 'pro_annual', mrrCents: a.mrrCents, currency: 'USD', termMonths: 12, renewalDate: today + 90, autoRenew: true, status: 'ACTIVE', previousMrrCents: null })
    add('seats_updated', start, { seatsPurchased: a.seats, seatsActive: Math.min(a.seats, a.users + 2), previousSeatsPurchased: null, previousSeatsActive: null })
    add('invoice_paid', start, { invoiceId: `in_${a.id}_1`, amountCents: a.mrrCents, currency: 'USD', dueDate: null, daysLate: 0 })
    if (a.paymentFailed) add('payment_failed', now - 5 * DAY, { invoiceId: `in_${a.id}_2`, amountCents: a.mrrCents, currency: 'USD', reason: 'CARD_DECLINED', attemptNumber: 1, nextRetryAt: now + 2 * DAY })
    if (a.p1Ticket) add('support_ticket_opened', now - 3 * DAY, { ticketId: `T-${a.id}`, severity: 'P1', channel: 'EMAIL', category: 'bug' })
    add('nps_submitted', now - 10 * DAY, { score: a.nps, comment: null, surveyId: null }, `${a.id}_u0`)
    add('csm_activity_logged', now - 14 * DAY, { activity: 'CALL', csmId: 'csm_dana', durationMinutes: 30, notes: null })
    for (let d = 0; d < a.days; d++) {
      for (let u = 0; u < a.users; u++) {
        const at = now - d * DAY - (u + 1) * 60_000
        add('user_login', at, { method: u % 3 === 0 ? 'SSO' : 'PASSWORD' }, `${a.id}_u${u}`)
        if (a.features.length) add('feature_used', at + 1000, { feature: a.features[(d + u) % a.features.length], durationMs: 1000 + u * 250 }, `${a.id}_u${u}`)
      }
    }
  }
  return events
}

/** Sends the demo events through the gateway, as a customer's backend would, and returns the account ids. */
export async function sendDemoEvents(gatewayUrl: string, apiKey: string | undefined): Promise<string[]> {
  if (!apiKey) throw new Error('no API key available for the demo')
  const events = demoEvents()
  let accepted = 0
  for (let i = 0; i < events.length; i += 200) {
    const res = await fetch(`${gatewayUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ batch: events.slice(i, i + 200) }),
    })
    accepted += ((await res.json()) as { accepted?: number }).accepted ?? 0
  }
  console.log(`\nSent ${events.length} demo events through ${gatewayUrl}/v1/batch: ${accepted} accepted.`)
  const drift = await fetch(`${gatewayUrl}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ event: 'feature_used', messageId: crypto.randomUUID(), accountId: 'acct_acme', timestamp: new Date().toISOString(), properties: { feature: 42, color: 'blue' } }),
  })
  console.log(`A drifting event is refused with ${drift.status}:`, JSON.stringify(await drift.json(), null, 2))
  return ACCOUNTS.map((a) => a.id)
}

/** Polls GraphQL until every account has a score that reflects all its demo events. */
export async function waitForScores(graphql: GraphQLEndpoint, accounts: string[], timeoutMs = 60_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs
  let last: Record<string, unknown>[] = []
  let stableSince = 0
  while (Date.now() < deadline) {
    const rows = await Promise.all(accounts.map((id) => accountScore(graphql, id)))
    const same = JSON.stringify(rows.map((r) => [r.score, r.tier])) === JSON.stringify(last.map((r) => [r.score, r.tier]))
    last = rows
    if (rows.every((r) => r.score !== null)) {
      // Scores settle once the last debounced job ran: wait until two reads a second apart agree.
      if (same && stableSince && Date.now() - stableSince >= 1000) return rows
      if (!same || !stableSince) stableSince = Date.now()
    }
    await sleep(500)
  }
  return last
}

async function accountScore(graphql: GraphQLEndpoint, id: string): Promise<Record<string, unknown>> {
  const res = await fetch(graphql.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: graphql.authorization },
    body: JSON.stringify({ query: 'query($id: ID!) { account(id: $id) { id healthScore { score tier status coverage computedAt drivers { text } nextTier { actions { text } } } } }', variables: { id } }),
  })
  const body = (await res.json()) as { data?: { account: { id: string; healthScore: any } } }
  const s = body.data?.account.healthScore
  return {
    account: id,
    score: s?.score ?? null,
    tier: s?.tier ?? s?.status ?? null,
    coverage: s ? `${Math.round(s.coverage * 100)} %` : null,
    'main driver': s?.drivers?.[0]?.text ?? '',
    'next tier': s?.nextTier?.actions?.[0]?.text ?? '',
  }
}

/** The demo portfolio: enough accounts and months for a backtest that means something, small enough to import in well under a minute. */
export const DEMO_PORTFOLIO = { accounts: 400, days: 180, seed: 1, churnRate: 0.4 }

/**
 * The churn half of the demo: simulate six months of a portfolio, import it through the gateway with the
 * backfill-scoped development key (as `pulse import` does), train the churn model and print its backtest and
 * the accounts with the most revenue at risk.
 */
export async function runChurnDemo(opts: { gatewayUrl: string; graphql: GraphQLEndpoint; backfillKey: string; dataDir: string; horizonDays: number }): Promise<void> {
  const fs = await import('node:fs')
  const path = await import('node:path')
  const { simulatePortfolio } = await import('./simulate/portfolio.js')
  const { formatBacktest } = await import('./churn.js')
  const { createClickHouse } = await import('../runtime/clickhouse.js')
  const { queryRows } = await import('../processors/clickhouse-rows.js')

  const file = path.join(opts.dataDir, 'demo-history.ndjson')
  const out = fs.openSync(file, 'w')
  let lines: string[] = []
  let accepted = 0
  const { truth } = simulatePortfolio(DEMO_PORTFOLIO, (e) => {
    accepted++
    lines.push(JSON.stringify(e))
    if (lines.length >= 10_000) {
      fs.writeSync(out, lines.join('\n') + '\n')
      lines = []
    }
  })
  if (lines.length) fs.writeSync(out, lines.join('\n') + '\n')
  fs.closeSync(out)
  console.log(`\nSimulated ${DEMO_PORTFOLIO.accounts} accounts over ${DEMO_PORTFOLIO.days} days (${truth.filter((t) => t.churnedAt).length} canceled): importing ${file} through the gateway with a backfill key…`)
  // `pulse import` in a process of its own, as a user would run it: it then has a core to itself rather than
  // sharing this process's event loop with the gateway it sends to.
  const { spawn } = await import('node:child_process')
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [new URL('../bin/pulse.mjs', import.meta.url).pathname, 'import', file, '--url', opts.gatewayUrl, '--concurrency', '4'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PULSE_API_KEY: opts.backfillKey },
    })
    child.on('close', resolve)
  })
  if (code !== 0) throw new Error(`pulse import exited with ${code}`)
  // The processor stores behind the gateway: train once every imported event is in ClickHouse.
  const clickhouse = createClickHouse({ dataDir: opts.dataDir })
  try {
    const deadline = Date.now() + 120_000
    for (;;) {
      const [r] = await queryRows<{ n: string }>(clickhouse, "SELECT uniqExact(message_id) AS n FROM events WHERE startsWith(account_id, 'acct_sim1_')")
      if (Number(r.n) >= accepted || Date.now() > deadline) break
      await sleep(500)
    }
    const { trainChurnModel } = await graphqlRequest<{ trainChurnModel: Parameters<typeof formatBacktest>[0] }>(
      opts.graphql,
      `mutation($h: Int) { trainChurnModel(horizonDays: $h) { status reason version horizonDays trainedAt accounts churnEvents snapshots baseRate brierBaseRate calibrationMethod
        backtest { rows accounts churnEvents auc aucLow aucHigh brier logLoss calibrationError top10Precision top10Recall calibration { predicted observed accounts } }
        healthScoreBacktest { rows accounts churnEvents auc aucLow aucHigh brier logLoss calibrationError top10Precision top10Recall calibration { predicted observed accounts } }
        topDrivers { feature description coefficient } } }`,
      { h: opts.horizonDays },
    )
    console.log(`\n${formatBacktest(trainChurnModel)}`)
    if (trainChurnModel.status !== 'READY') return
    const { accounts } = await graphqlRequest<{ accounts: { edges: { node: { id: string; churnRisk: { probability: number; revenueAtRisk: number; drivers: { description: string; value: number | null; contribution: number }[] } } }[] } }>(
      opts.graphql,
      '{ accounts(first: 5, orderBy: { field: REVENUE_AT_RISK, direction: DESC }) { edges { node { id churnRisk { probability revenueAtRisk drivers { description value contribution } } } } } }',
    )
    const value = (v: number | null) => (v === null ? 'unknown' : Number.isInteger(v) ? String(v) : v.toFixed(2))
    const rows = accounts.edges.map(({ node: { id, churnRisk: r } }) => {
      const reasons = r.drivers.filter((d) => d.contribution > 0).slice(0, 2).map((d) => `${d.description}: ${value(d.value)}`)
      return { account: id, [`churn within ${opts.horizonDays} d`]: `${Math.round(r.probability * 100)} %`, 'revenue at risk / month': `$${Math.round(r.revenueAtRisk).toLocaleString('en-US')}`, 'what raises it': reasons.join('; ') }
    })
    console.log('\nMost revenue at risk (accounts(orderBy: REVENUE_AT_RISK) through GraphQL):')
    console.table(rows)
    const month = new Date().toISOString().slice(0, 7)
    console.log(`\n${formatMetricsReport(await readMetricsReport(opts.graphql, month, Date.now(), parseTargets(undefined)), 'markdown')}`)
    console.log('Then: npx pulse churn backtest --format markdown   (the backtest, for a pull request or a wiki)')
    console.log('      npx pulse report health                      (this month\'s Customer Health report: at-risk, critical and expansion-ready accounts)')
  } finally {
    await clickhouse.close()
  }
}

