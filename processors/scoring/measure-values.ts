/**
 * Pure: the aggregates `measure-query.ts` reads for one account → the value of every measure, or null where
 * there is no data. What counts as "no data" is decided here, once, per measure (see measures.ts).
 */
import type { MeasureValues } from './measures.js'
import { SEGMENTS, type Segment } from './scorecard.js'

/** Aggregates of one account as of a time; usage/sparse are absent when it had no such events. */
export interface AccountInputs {
  accountId: string
  /** Epoch ms of the account's first event. */
  firstSeen: number
  usage?: Record<string, any>
  sparse?: Record<string, any>
}

export interface PortfolioInputs {
  /** Event kinds the portfolio sent in the 180 days up to the as-of time. */
  sources: Set<string>
  coreFeatures: string[]
}

const DAY = 86_400_000
/** The event kinds behind the measures that have data only where the portfolio sends them. */
export const MEASURE_SOURCES = {
  support: ['support_ticket_opened', 'support_ticket_resolved', 'support_ticket_escalated', 'csat_submitted'],
  billing: ['invoice_paid', 'payment_failed'],
  email: ['email_engaged'],
  csm: ['csm_activity_logged'],
}
const { support: SUPPORT, billing: BILLING, email: EMAIL, csm: CSM } = MEASURE_SOURCES

export function measureValues(a: AccountInputs, portfolio: PortfolioInputs, asOf: number): { values: MeasureValues; segment: Segment | null } {
  const u = a.usage ?? NONE
  const s = a.sparse ?? NONE

  const seatsKnown = n(s.hasSeats) > 0
  const [seatsPurchased, seatsActive] = seatsKnown ? (s.seats as [number, number]).map(Number) : [null, null]
  const activeUsers = n(u.activeUsers30)
  const features: string[] = u.features30 ?? []
  const core = portfolio.coreFeatures
  const coreUsed = core.filter((f) => features.includes(f)).length

  const subscribed = n(s.hasSubscription) > 0
  const [mrr, renewalDay, status] = subscribed ? (s.subscription as [number, number, string]) : [null, null, null]
  const mrr30 = n(s.hasSubscription30Ago) > 0 ? n(s.mrr30Ago) : null

  const supportSent = sendsAny(portfolio, SUPPORT)
  const nps90 = nps(n(s.npsPromoters90), n(s.npsDetractors90), n(s.npsCount90))
  const npsPrev = nps(n(s.npsPromotersPrev), n(s.npsDetractorsPrev), n(s.npsCountPrev))

  const lastTouch = n(s.lastCsmTouch) > 0 ? n(s.lastCsmTouch) : a.firstSeen
  const unpaid = n(s.unpaidInvoices)
  const exhausted = n(s.exhaustedInvoices)
  const failedThenPaid90 = n(s.failedThenPaid90) > 0

  const values: MeasureValues = {
    active_days_7d: n(u.activeDays7),
    active_days_30d: n(u.activeDays30),
    active_users_30d: activeUsers,
    logins_30d: n(u.logins30),
    adoption_rate: seatsPurchased ? activeUsers / seatsPurchased : null,
    weekly_active_users: n(u.wau),
    wau_trend: n(u.wau4wAgo) > 0 ? n(u.wau) / n(u.wau4wAgo) - 1 : null,
    distinct_features_30d: features.length,
    core_feature_share: core.length ? coreUsed / core.length : null,
    core_features: core.length,
    core_features_used: coreUsed,

    tickets_opened_30d: supportSent ? n(s.ticketsOpened30) : null,
    tickets_p1_30d: supportSent ? n(s.ticketsP1_30) : null,
    tickets_p2_30d: supportSent ? n(s.ticketsP2_30) : null,
    escalations_30d: supportSent ? n(s.escalations30) : null,
    median_resolution_hours_30d: n(s.resolved30) > 0 ? n(s.medianResolutionMinutes30) / 60 : null,
    ticket_sentiment_30d: sentiment(n(s.positive30), n(s.neutral30), n(s.negative30)),
    support_experience: supportSent ? supportExperience(s) : null,
    csat_90d: n(s.csatCount90) > 0 ? n(s.csatSum90) / n(s.csatCount90) : null,

    nps_90d: nps90,
    nps_change_90d: nps90 !== null && npsPrev !== null ? nps90 - npsPrev : null,
    email_engagements_30d: sendsAny(portfolio, EMAIL) ? n(u.emailEngagements30) : null,
    days_since_csm_touch: sendsAny(portfolio, CSM) ? days(asOf - lastTouch) : null,

    payment_status: sendsAny(portfolio, BILLING) || subscribed ? paymentStatus(exhausted, unpaid, status, n(s.maxDaysLate90), failedThenPaid90) : null,
    unpaid_failed_invoices: sendsAny(portfolio, BILLING) ? unpaid : null,
    days_late_90d: sendsAny(portfolio, BILLING) ? n(s.maxDaysLate90) : null,
    days_to_renewal: renewalDay === null ? null : Number(renewalDay) - Math.floor(asOf / DAY),
    seat_utilization: seatsPurchased ? seatsActive! / seatsPurchased : null,
    mrr_change_30d: mrr !== null && mrr30 ? Number(mrr) / mrr30 - 1 : null,
    seats_purchased: seatsPurchased,
    seats_active: seatsActive,
    mrr_cents: mrr === null ? null : Number(mrr),
    tenure_days: days(asOf - a.firstSeen),
  }
  const seg = String(s.segment ?? '')
  return { values, segment: (SEGMENTS as readonly string[]).includes(seg) ? (seg as Segment) : null }
}

// Module-level rather than inside measureValues: a sweep calls it for every account, and closures made per
// call (each named by the TypeScript loader as it is created) were a measurable share of the sweep's compute.
const NONE: Record<string, any> = {}
const n = (x: unknown) => Number(x ?? 0)
const days = (ms: number) => Math.max(0, Math.floor(ms / DAY))
const nps = (promoters: number, detractors: number, total: number) => (total ? (100 * (promoters - detractors)) / total : null)

export function sendsAny(portfolio: PortfolioInputs, kinds: string[]): boolean {
  for (const k of kinds) if (portfolio.sources.has(k)) return true
  return false
}

function sentiment(positive: number, neutral: number, negative: number): number | null {
  const rated = positive + neutral + negative
  return rated ? (positive - negative) / rated : null
}

function supportExperience(s: Record<string, any>): string {
  if (Number(s.escalations30 ?? 0) > 0) return 'ESCALATED'
  if (Number(s.ticketsP1_30 ?? 0) > 0 || Number(s.negative30 ?? 0) > 0 || Number(s.csatLow30 ?? 0) > 0) return 'NEGATIVE'
  if (Number(s.positive30 ?? 0) > 0 || Number(s.csatHigh30 ?? 0) > 0) return 'POSITIVE'
  return 'NEUTRAL'
}

function paymentStatus(exhausted: number, unpaid: number, subscriptionStatus: string | null, maxDaysLate: number, failedThenPaid: boolean): string {
  if (exhausted > 0) return 'FAILED'
  if (unpaid > 0 || subscriptionStatus === 'PAST_DUE') return 'OVERDUE'
  if (maxDaysLate > 0 || failedThenPaid) return 'MINOR_ISSUES'
  return 'CURRENT'
}
