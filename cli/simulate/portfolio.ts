/**
 * Pure: simulated B2B SaaS portfolios with a known truth, for the churn model's tests, the demo and the
 * benches. Every account gets a latent engagement path (some decline), and events for the whole catalog drawn
 * from it: logins and feature use, seats, subscriptions and renewals, invoices and failed payments, tickets,
 * NPS and CSAT, CSM activity, email engagement. Cancellation follows a hidden daily hazard driven by declining
 * usage, unpaid failed payments, recent P1 tickets and a detractor NPS (or by nothing, with `noSignal`), scaled
 * so that about `churnRate` of the accounts cancel within the simulated days.
 *
 * Each account is simulated twice from the same seed: once without its usage events, to learn its hazard path
 * (and so the portfolio's base hazard and its cancellation day), then again emitting everything up to that day.
 */
import { seededRandom, type Random } from '../../runtime/seeded-random.js'

export const DAY = 86_400_000

export interface SimulationOptions {
  accounts: number
  days: number
  seed: number
  /** Share of accounts that cancel within the simulated days. @defaultValue 0.2 */
  churnRate?: number
  /** Cancellations independent of everything the events show. */
  noSignal?: boolean
  /** The first day after the simulated history (events end the day before). @defaultValue today (UTC) */
  endDay?: number
  /** Horizon of the ground-truth probabilities, in days. @defaultValue 90 */
  horizonDays?: number
  /** Kinds of event the portfolio does not send (a company without a billing integration, say). */
  omitEvents?: string[]
  /** Scales every account's seats (at least 1): fewer usage events for the big benches. @defaultValue 1 */
  seatScale?: number
}

export interface SimulatedEvent {
  event: string
  messageId: string
  accountId: string
  userId?: string
  timestamp: string
  properties: Record<string, unknown>
}

/** What the simulator knows and Pulse has to find out: when an account canceled and its true risk over time. */
export interface AccountTruth {
  accountId: string
  segment: Segment
  /** ISO date of the cancellation, or null. */
  churnedAt: string | null
  /** Probability of canceling within the horizon after each truth date (ISO date → probability), while active. */
  probabilities: Record<string, number>
}

type Segment = 'ENTERPRISE' | 'MID_MARKET' | 'SMB'

// The hidden hazard: log-hazard contributions of each driver (declining usage is 1 − engagement, 0..0.85).
export const HAZARD = { decline: 3.2, unpaidPayment: 1.8, recentP1: 1.4, detractor: 1.4 }

const FEATURES = ['dashboards.view', 'reports.export', 'alerts.create', 'dashboards.share', 'api.keys', 'integrations.slack', 'sso.configure', 'billing.view']
const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const
const CANCEL_REASONS_DECLINE = ['LOW_USAGE', 'MISSING_FEATURES', 'SWITCHED_COMPETITOR']
const CANCEL_REASONS_OTHER = ['PRICE', 'BUDGET', 'PRODUCT_ISSUES', 'POOR_SUPPORT', 'BUSINESS_CLOSED', 'OTHER']

interface Profile {
  index: number
  accountId: string
  segment: Segment
  seats: number
  /** Share of seats active on a typical day while healthy. */
  activity: number
  mrrCents: number
  termMonths: number
  /** Day index of signup (negative: before the simulated history). */
  signupDay: number
  /** Declining engagement: from `start` over `length` days down to `floor`; null for steady accounts. */
  decline: { start: number; length: number; floor: number } | null
  csmId: string
  /** Features this account uses (its breadth). */
  features: string[]
}

/** Daily risk drivers of one account, from its sparse history (pass 1). */
interface RiskPath {
  /** Log-hazard multiplier per day index (before the base hazard). */
  logRisk: Float64Array
  /** Flags each day: unpaid failed payment, P1 ticket in the last 30 days, latest NPS a detractor. */
  flags: Uint8Array
}

function profileOf(index: number, opts: SimulationOptions, rng: Random): Profile {
  const r = rng.fork('profile')
  const u = r.next()
  const segment: Segment = u < 0.15 ? 'ENTERPRISE' : u < 0.5 ? 'MID_MARKET' : 'SMB'
  const seats = Math.max(1, Math.round((segment === 'ENTERPRISE' ? r.int(12, 30) : segment === 'MID_MARKET' ? r.int(5, 12) : r.int(2, 5)) * (opts.seatScale ?? 1)))
  const perSeat = segment === 'ENTERPRISE' ? 9_000 : segment === 'MID_MARKET' ? 6_000 : 4_000
  const signupDay = r.chance(0.12) ? r.int(0, Math.max(0, opts.days - 45)) : -r.int(30, 900)
  const declining = r.chance(0.35)
  return {
    index,
    accountId: `acct_sim${opts.seed}_${String(index).padStart(5, '0')}`,
    segment,
    seats,
    activity: 0.3 + 0.45 * r.next(),
    mrrCents: Math.round((seats * perSeat * r.int(8, 12)) / 10),
    termMonths: segment === 'SMB' ? 1 : 12,
    signupDay,
    decline: declining
      ? { start: r.int(Math.max(signupDay, -60), opts.days), length: r.int(20, 90), floor: 0.15 + 0.35 * r.next() }
      : null,
    csmId: `csm_${r.int(1, 8)}`,
    features: FEATURES.slice(0, r.int(2, FEATURES.length)),
  }
}

/** Engagement (0..1 multiplier of the healthy activity) on day d. */
function engagement(p: Profile, d: number): number {
  const dec = p.decline
  if (!dec || d <= dec.start) return 1
  const progress = Math.min(1, (d - dec.start) / dec.length)
  return 1 - progress * (1 - dec.floor)
}

/** Engagement on day d as known on day t: a decline that had not started by t is not part of t's state. */
function engagementKnownAt(p: Profile, d: number, t: number): number {
  return p.decline && p.decline.start <= t ? engagement(p, d) : 1
}

const logRiskOf = (p: Profile, d: number, flags: number, noSignal: boolean, known = d) =>
  noSignal
    ? 0
    : HAZARD.decline * (1 - engagementKnownAt(p, d, known)) +
      (flags & 1 ? HAZARD.unpaidPayment : 0) +
      (flags & 2 ? HAZARD.recentP1 : 0) +
      (flags & 4 ? HAZARD.detractor : 0)

/**
 * Simulates one account's sparse history (everything but daily usage) and, when `emit` is given, its usage
 * too, up to `churnDay` (exclusive of anything after the cancellation). Returns its daily risk path.
 * Usage draws come from their own stream, so pass 1 (no usage) and pass 2 see the same sparse history.
 */
function simulateAccount(p: Profile, opts: Required<Omit<SimulationOptions, 'noSignal' | 'omitEvents' | 'seatScale'>> & Pick<SimulationOptions, 'omitEvents'> & { noSignal: boolean }, rng: Random, churnDay: number | null, emit?: (e: SimulatedEvent) => void): RiskPath {
  const D = opts.days
  const events = rng.fork('events')
  const usage = rng.fork('usage')
  const ids = rng.fork('ids')
  const logRisk = new Float64Array(D)
  const flags = new Uint8Array(D)
  const firstDay = Math.max(0, p.signupDay)
  const lastDay = churnDay ?? D - 1
  const dayMs = (d: number) => (opts.endDay - D + d) * DAY
  const at = (d: number, r: Random) => dayMs(d) + (8 * 3600 + Math.floor(r.next() * 12 * 3600)) * 1000 + Math.floor(r.next() * 1000)
  const end = opts.endDay * DAY
  const omitted = new Set(opts.omitEvents)
  // What would happen after the history ends (a ticket resolved tomorrow) has not happened yet.
  const add = (event: string, time: number, properties: Record<string, unknown>, userId?: string) =>
    time < end &&
    !omitted.has(event) &&
    emit?.({ event, messageId: ids.uuid(), accountId: p.accountId, ...(userId ? { userId } : {}), timestamp: new Date(time).toISOString(), properties })
  const epochDay = (d: number) => opts.endDay - D + d

  let renewalDay = p.signupDay + 30 * p.termMonths * Math.ceil((firstDay - p.signupDay + 1) / (30 * p.termMonths))
  let mrr = p.mrrCents
  const unpaid = new Map<string, { failedDay: number; paidDay: number }>() // paidDay Infinity: never
  let lastP1 = -Infinity
  let detractor = false
  let invoiceNo = 0
  let ticketNo = 0
  const npsPhase = events.int(0, 89)

  // The account as it stands when its history starts.
  add('account_updated', at(firstDay, events), { name: `Simulated ${p.segment.toLowerCase()} ${p.index}`, segment: p.segment, industry: events.pick(['software', 'retail', 'finance', 'health', 'media']), csmId: p.csmId, signupDate: opts.endDay - D + p.signupDay, country: events.pick(['US', 'GB', 'DE', 'FR', 'CA']) })
  add('subscription_updated', at(firstDay, events), { plan: `${p.segment.toLowerCase()}_${p.termMonths === 1 ? 'monthly' : 'annual'}`, mrrCents: mrr, currency: 'USD', termMonths: p.termMonths, renewalDate: epochDay(renewalDay), autoRenew: true, status: 'ACTIVE', previousMrrCents: null })

  for (let d = firstDay; d <= lastDay; d++) {
    const m = engagement(p, d)
    // Billing: an invoice every 30 days from signup; some fail, most of those are paid late, some never.
    if ((d - p.signupDay) % 30 === 0) {
      const invoiceId = `in_${p.accountId}_${++invoiceNo}`
      if (events.chance(0.05)) {
        const retry = events.chance(0.55)
        add('payment_failed', at(d, events), { invoiceId, amountCents: mrr, currency: 'USD', reason: events.pick(['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'CARD_EXPIRED']), attemptNumber: 1, nextRetryAt: retry ? (epochDay(d) + 3) * DAY : null })
        unpaid.set(invoiceId, { failedDay: d, paidDay: retry ? d + events.int(2, 10) : events.chance(0.4) ? d + events.int(20, 60) : Infinity })
      } else {
        add('invoice_paid', at(d, events), { invoiceId, amountCents: mrr, currency: 'USD', dueDate: epochDay(d), daysLate: 0 })
      }
    }
    for (const [invoiceId, { failedDay, paidDay }] of unpaid) {
      if (paidDay === d) {
        add('invoice_paid', at(d, events), { invoiceId, amountCents: mrr, currency: 'USD', dueDate: epochDay(failedDay), daysLate: d - failedDay })
        unpaid.delete(invoiceId)
      }
    }
    // Renewal: a new term, sometimes with expansion while the account is engaged.
    if (d === renewalDay) {
      const previous = mrr
      if (m > 0.8 && events.chance(0.25)) mrr = Math.round(mrr * (1.1 + 0.2 * events.next()))
      renewalDay += 30 * p.termMonths
      add('subscription_updated', at(d, events), { plan: `${p.segment.toLowerCase()}_${p.termMonths === 1 ? 'monthly' : 'annual'}`, mrrCents: mrr, currency: 'USD', termMonths: p.termMonths, renewalDate: epochDay(renewalDay), autoRenew: true, status: 'ACTIVE', previousMrrCents: previous })
    }
    // Support: tickets by severity, resolved with a sentiment and a CSAT, P1/P2 sometimes escalated.
    if (events.chance(0.012 * Math.sqrt(p.seats) * (1.4 - 0.4 * m))) {
      const ticketId = `T-${p.accountId}-${++ticketNo}`
      const severity = SEVERITIES[events.next() < 0.1 ? 0 : events.next() < 0.3 ? 1 : events.next() < 0.6 ? 2 : 3]
      const opened = at(d, events)
      add('support_ticket_opened', opened, { ticketId, severity, channel: events.pick(['EMAIL', 'CHAT', 'PHONE', 'PORTAL']), category: events.pick(['bug', 'question', 'billing', 'access']) })
      if (severity === 'P1') lastP1 = d
      if ((severity === 'P1' || severity === 'P2') && events.chance(0.2)) {
        add('support_ticket_escalated', opened + 3_600_000, { ticketId, fromLevel: 'L1', toLevel: 'L2', reason: 'SEVERITY_INCREASE', comment: null })
      }
      const minutes = severity === 'P1' ? events.int(60, 600) : events.int(120, 4000)
      const good = events.next() < (severity === 'P1' ? 0.4 : 0.75)
      const csat = good ? events.int(4, 5) : events.int(1, 3)
      add('support_ticket_resolved', opened + minutes * 60_000, { ticketId, resolutionMinutes: minutes, firstResponseMinutes: events.int(5, 120), csat, sentiment: good ? 'POSITIVE' : csat === 3 ? 'NEUTRAL' : 'NEGATIVE' })
    }
    // Surveys: NPS every 90 days, the answer following engagement, support and billing trouble.
    if ((d + npsPhase) % 90 === 0) {
      const score = Math.round(Math.max(0, Math.min(10, 4 + 5 * m - (d - lastP1 < 30 ? 2 : 0) - (unpaid.size ? 1.5 : 0) + 1.6 * events.normal())))
      detractor = score <= 6
      add('nps_submitted', at(d, events), { score, comment: null, surveyId: `nps_${Math.floor(d / 90)}` }, `${p.accountId}_u0`)
    }
    // CSM touches: enterprise every two weeks or so, mid-market monthly, SMB rarely.
    if (events.chance(p.segment === 'ENTERPRISE' ? 1 / 14 : p.segment === 'MID_MARKET' ? 1 / 30 : 1 / 75)) {
      add('csm_activity_logged', at(d, events), { activity: events.pick(['CALL', 'EMAIL', 'MEETING', 'QBR']), csmId: p.csmId, durationMinutes: events.int(15, 60), notes: null })
    }
    if (d - p.signupDay < 60 && (d - p.signupDay) % 15 === 5) {
      const step = (d - p.signupDay - 5) / 15 + 1
      add('onboarding_milestone_reached', at(d, events), { milestoneId: ['workspace_created', 'first_dashboard', 'team_invited', 'first_alert'][step - 1], stepNumber: step, totalSteps: 4, daysSinceSignup: d - p.signupDay })
    }

    let f = 0
    for (const { failedDay } of unpaid.values()) if (d - failedDay >= 7) f |= 1
    if (d - lastP1 < 30) f |= 2
    if (detractor) f |= 4
    flags[d] = f
    logRisk[d] = logRiskOf(p, d, f, opts.noSignal)

    if (emit) {
      // Usage: as engagement falls, users drop out (the account's user base shrinks) and those left log in
      // less often; each remaining user is active on a day with probability activity × (0.6 + 0.4 × engagement).
      const users = Math.max(1, Math.round(p.seats * m))
      const pActive = Math.min(0.95, p.activity * (0.6 + 0.4 * m))
      let active = 0
      for (let u = 0; u < users; u++) {
        if (!usage.chance(pActive)) continue
        active++
        const userId = `${p.accountId}_u${u}`
        const t = at(d, usage)
        add('user_login', t, { method: usage.chance(0.3) ? 'SSO' : 'PASSWORD', mfa: usage.chance(0.5) }, userId)
        if (usage.chance(0.5)) add('feature_used', t + 60_000, { feature: usage.pick(p.features.slice(0, Math.max(1, Math.round(p.features.length * (0.4 + 0.6 * m))))), durationMs: usage.int(1_000, 120_000) }, userId)
      }
      if (usage.chance(0.08 * m)) add('email_engaged', at(d, usage), { emailId: `em_${d}`, campaignId: null, engagement: usage.pick(['OPEN', 'CLICK']) }, `${p.accountId}_u0`)
      if ((d - firstDay) % 30 === 0) {
        add('seats_updated', at(d, usage), { seatsPurchased: p.seats, seatsActive: Math.max(active, users), previousSeatsPurchased: null, previousSeatsActive: null })
      }
    }
  }
  if (churnDay !== null) {
    const t = at(churnDay, events) + 1
    const reason = p.decline && engagement(p, churnDay) < 0.8 ? events.pick(CANCEL_REASONS_DECLINE) : events.pick(CANCEL_REASONS_OTHER)
    add('subscription_canceled', t, { reason, comment: null, effectiveDate: epochDay(churnDay), mrrLostCents: mrr, currency: 'USD', competitor: null })
    add('subscription_updated', t + 1, { plan: `${p.segment.toLowerCase()}_${p.termMonths === 1 ? 'monthly' : 'annual'}`, mrrCents: 0, currency: 'USD', termMonths: p.termMonths, renewalDate: epochDay(renewalDay), autoRenew: false, status: 'CANCELED', previousMrrCents: mrr })
  }
  return { logRisk, flags }
}

/** The base daily hazard at which the expected share of accounts canceling within the history is `rate`. */
function baseHazardFor(rate: number, totals: number[]): number {
  let lo = 0
  let hi = 1
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    const expected = totals.reduce((s, total) => s + 1 - Math.exp(-mid * total), 0) / totals.length
    if (expected < rate) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * Simulates the portfolio: calls `emit` with every event, account by account (each account's events in time
 * order), and returns the truth. Deterministic for given options.
 */
export function simulatePortfolio(options: SimulationOptions, emit: (e: SimulatedEvent) => void): SimulationResult {
  const events = simulateEvents(options)
  for (;;) {
    const next = events.next()
    if (next.done) return next.value
    emit(next.value)
  }
}

export interface SimulationResult {
  truth: AccountTruth[]
  baseHazard: number
}

/** The same, as a generator: a consumer writing to a slow sink can wait between events. Returns the truth. */
export function* simulateEvents(options: SimulationOptions): Generator<SimulatedEvent, SimulationResult> {
  const opts = {
    ...options,
    churnRate: options.churnRate ?? 0.2,
    endDay: options.endDay ?? Math.floor(Date.now() / DAY),
    horizonDays: options.horizonDays ?? 90,
    noSignal: options.noSignal ?? false,
  }
  if (!(opts.accounts >= 1)) throw new Error(`accounts must be at least 1, got ${opts.accounts}`)
  if (!(opts.days >= 30)) throw new Error(`days must be at least 30, got ${opts.days}`)
  if (!(opts.churnRate > 0 && opts.churnRate < 1)) throw new Error(`churn rate must be between 0 and 1 (exclusive), got ${opts.churnRate}`)
  const root = seededRandom(opts.seed)
  const profiles = Array.from({ length: opts.accounts }, (_, i) => profileOf(i, opts, root.fork(`account/${i}`)))
  // Pass 1: every account's hazard path without churn.
  const paths = profiles.map((p) => simulateAccount(p, opts, root.fork(`account/${p.index}`), null))
  const cumulative = paths.map((path, i) => {
    const out = new Float64Array(opts.days)
    let sum = 0
    for (let d = Math.max(0, profiles[i].signupDay); d < opts.days; d++) out[d] = sum += Math.exp(path.logRisk[d])
    return out
  })
  const base = baseHazardFor(opts.churnRate, cumulative.map((c) => c[opts.days - 1]))

  const truth: AccountTruth[] = []
  for (const p of profiles) {
    const rng = root.fork(`account/${p.index}`)
    const { flags } = paths[p.index]
    // The account cancels on the first day its cumulative hazard passes an exponential draw.
    const threshold = -Math.log(1 - rng.fork('churn').next()) / base
    const cum = cumulative[p.index]
    let churnDay: number | null = null
    for (let d = Math.max(0, p.signupDay); d < opts.days; d++) if (cum[d] >= threshold) { churnDay = d; break }
    const events: SimulatedEvent[] = []
    simulateAccount(p, opts, rng, churnDay, (e) => events.push(e))
    yield* events

    // Truth as of the start of each day, every 7 days back from the end: the hazard the account's state on
    // that day implies over the horizon (its decline continuing as it had begun, its flags as they stood).
    const probabilities: Record<string, number> = {}
    for (let t = opts.days; t > Math.max(0, p.signupDay); t -= 7) {
      if (churnDay !== null && churnDay < t) continue
      const f = t > 0 ? flags[t - 1] : 0
      let hazard = 0
      for (let d = t; d < t + opts.horizonDays; d++) hazard += Math.exp(logRiskOf(p, d, f, opts.noSignal, t - 1))
      probabilities[isoDay(opts.endDay - opts.days + t)] = 1 - Math.exp(-base * hazard)
    }
    truth.push({ accountId: p.accountId, segment: p.segment, churnedAt: churnDay === null ? null : isoDay(opts.endDay - opts.days + churnDay), probabilities })
  }
  return { truth, baseHazard: base }
}

export const isoDay = (epochDay: number) => new Date(epochDay * DAY).toISOString().slice(0, 10)
