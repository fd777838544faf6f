/**
 * The measures a scorecard can score: what each one means, the values it takes and how to say what would
 * move it. Pure metadata; `measure-query.ts` computes them in ClickHouse as of a given time.
 *
 * A measure is null for an account when its data is missing — the account's seats were never reported, it
 * never answered an NPS survey, or the portfolio sends no events of the measure's source at all. Null is
 * not zero: the scorecard leaves the component out and re-normalizes the other weights.
 */
export type MeasureValue = number | string

/** Every measure of one account, as of one time; null = no data. */
export type MeasureValues = Record<string, MeasureValue | null>

export interface MeasureDef {
  name: string
  description: string
  kind: 'number' | 'category'
  /** Smallest value a number measure takes: the lowest band of a rule must start at or below it. */
  min?: number
  /** Values a category measure takes, best first. */
  categories?: readonly string[]
  /** How a value reads in an explanation: "3 of the last 30 days". */
  format(value: MeasureValue, all: MeasureValues): string
  /** How moving from `from` to `to` reads as an action: "6 more active users". */
  change?(from: number, to: number, all: MeasureValues): string
}

const num = (v: MeasureValue) => Number(v)
const pct = (v: MeasureValue) => `${Math.round(num(v) * 100)} %`
const signedPct = (v: MeasureValue) => `${num(v) >= 0 ? '+' : ''}${Math.round(num(v) * 100)} %`
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const more = (from: number, to: number, what: string, many?: string) => {
  const n = Math.ceil(to - from - 1e-9)
  return n > 0 ? `${plural(n, `more ${what}`, many && `more ${many}`)}` : `fewer ${many ?? `${what}s`}`
}
const fewer = (from: number, to: number, what: string, many?: string) => `${plural(Math.ceil(from - to - 1e-9), `${what}`, many)} fewer`

const count = (name: string, description: string, noun: string, nouns?: string): MeasureDef => ({
  name,
  description,
  kind: 'number',
  min: 0,
  format: (v) => plural(num(v), noun, nouns),
  change: (from, to) => (to >= from ? more(from, to, noun, nouns) : fewer(from, to, noun, nouns)),
})

export const MEASURES: readonly MeasureDef[] = [
  // Product usage
  {
    ...count('active_days_7d', 'Days with a login or feature use in the last 7 days', 'active day'),
    format: (v) => `active on ${num(v)} of the last 7 days`,
  },
  {
    ...count('active_days_30d', 'Days with a login or feature use in the last 30 days', 'active day'),
    format: (v) => `active on ${num(v)} of the last 30 days`,
  },
  count('active_users_30d', 'Distinct users who logged in or used a feature in the last 30 days', 'active user'),
  count('logins_30d', 'Logins in the last 30 days', 'login'),
  {
    name: 'adoption_rate',
    description: 'Active users in the last 30 days per seat purchased (no data until seats_updated reported the seats)',
    kind: 'number',
    min: 0,
    format: (v, all) => `${all.active_users_30d ?? '?'} of ${all.seats_purchased ?? '?'} seats active (${pct(v)})`,
    change: (from, to, all) => {
      const seats = Number(all.seats_purchased ?? 0)
      const users = Number(all.active_users_30d ?? 0)
      return seats ? more(users, Math.ceil(to * seats - 1e-9), 'active user') : `adoption from ${pct(from)} to ${pct(to)}`
    },
  },
  count('weekly_active_users', 'Distinct active users in the last 7 days', 'weekly active user'),
  {
    name: 'wau_trend',
    description: 'Weekly active users now against the same week 4 weeks earlier, as a relative change (-1 = all gone); no data while that earlier week had none',
    kind: 'number',
    min: -1,
    format: (v, all) => `${all.weekly_active_users ?? '?'} weekly active users, ${signedPct(v)} against 4 weeks ago`,
    change: (from, to) => `weekly active users ${signedPct(from)} → ${signedPct(to)} against 4 weeks ago`,
  },
  count('distinct_features_30d', 'Distinct features used in the last 30 days', 'feature'),
  {
    name: 'core_feature_share',
    description: "Share of the scorecard's core features used in the last 30 days (0 to 1)",
    kind: 'number',
    min: 0,
    format: (v, all) => `${all.core_features_used ?? '?'} of ${all.core_features ?? '?'} core features used (${pct(v)})`,
    change: (from, to, all) => {
      const core = Number(all.core_features ?? 0)
      return core ? more(Number(all.core_features_used ?? Math.round(from * core)), Math.ceil(to * core - 1e-9), 'core feature') : `core features ${pct(from)} → ${pct(to)}`
    },
  },
  // Support
  count('tickets_opened_30d', 'Support tickets opened in the last 30 days', 'ticket'),
  count('tickets_p1_30d', 'P1 support tickets opened in the last 30 days', 'P1 ticket'),
  count('tickets_p2_30d', 'P2 support tickets opened in the last 30 days', 'P2 ticket'),
  count('escalations_30d', 'Ticket escalations in the last 30 days', 'escalation'),
  {
    ...count('median_resolution_hours_30d', 'Median resolution time of tickets resolved in the last 30 days, in hours (no data without resolved tickets)', 'hour'),
    format: (v) => `median resolution ${Math.round(num(v) * 10) / 10} h`,
  },
  {
    name: 'ticket_sentiment_30d',
    description: 'Mean sentiment of tickets resolved in the last 30 days: POSITIVE 1, NEUTRAL 0, NEGATIVE -1 (no data without rated tickets)',
    kind: 'number',
    min: -1,
    format: (v) => `ticket sentiment ${num(v).toFixed(2)} (-1 to 1)`,
  },
  {
    name: 'support_experience',
    description:
      'ESCALATED when a ticket was escalated in the last 30 days; NEGATIVE for a P1 ticket, negative sentiment or a CSAT of 1-2; POSITIVE for positive sentiment or CSAT 4-5 and nothing negative; NEUTRAL otherwise (also with no tickets)',
    kind: 'category',
    categories: ['POSITIVE', 'NEUTRAL', 'NEGATIVE', 'ESCALATED'],
    format: (v) => `support experience ${String(v).toLowerCase()}`,
  },
  {
    name: 'csat_90d',
    description: 'Mean CSAT rating (1-5) in the last 90 days, from csat_submitted and rated ticket resolutions',
    kind: 'number',
    min: 1,
    format: (v) => `CSAT ${num(v).toFixed(1)} / 5`,
  },
  // Relationship
  {
    name: 'nps_90d',
    description: "The account's NPS (-100 to 100) over its answers in the last 90 days: % promoters (9-10) minus % detractors (0-6)",
    kind: 'number',
    min: -100,
    format: (v) => `NPS ${Math.round(num(v))}`,
    change: (from, to) => `NPS from ${Math.round(from)} to ${Math.round(to)}`,
  },
  {
    name: 'nps_change_90d',
    description: 'NPS of the last 90 days minus NPS of the 90 days before (no data unless both periods have answers)',
    kind: 'number',
    min: -200,
    format: (v) => `NPS ${num(v) >= 0 ? '+' : ''}${Math.round(num(v))} against the previous 90 days`,
  },
  count('email_engagements_30d', 'Email opens, clicks and replies in the last 30 days', 'email engagement'),
  {
    ...count('days_since_csm_touch', 'Days since the last logged CSM activity (since first seen when never touched)', 'day'),
    format: (v) => `last CSM touch ${plural(num(v), 'day')} ago`,
    change: (_from, to) => `a CSM touch (to ${plural(Math.floor(to), 'day')} ago or less)`,
  },
  // Commercial
  {
    name: 'payment_status',
    description:
      'FAILED when a failed invoice has no retry left and is unpaid; OVERDUE when a failed invoice is unpaid or the subscription is PAST_DUE; MINOR_ISSUES when an invoice in the last 90 days was paid late or after a failure; CURRENT otherwise',
    kind: 'category',
    categories: ['CURRENT', 'MINOR_ISSUES', 'OVERDUE', 'FAILED'],
    format: (v) => `payments ${String(v).toLowerCase().replace('_', ' ')}`,
  },
  count('unpaid_failed_invoices', 'Invoices with a failed payment not followed by invoice_paid', 'unpaid invoice'),
  count('days_late_90d', 'Most days late of an invoice paid in the last 90 days', 'day late', 'days late'),
  {
    ...count('days_to_renewal', 'Days until the renewal date of the current subscription term (no data without a subscription)', 'day'),
    min: -36_500,
    format: (v) => `renewal in ${plural(num(v), 'day')}`,
  },
  {
    name: 'seat_utilization',
    description: 'Seats active per seat purchased, from the latest seats_updated',
    kind: 'number',
    min: 0,
    format: (v, all) => `${all.seats_active ?? '?'} of ${all.seats_purchased ?? '?'} seats assigned (${pct(v)})`,
    change: (from, to, all) => {
      const seats = Number(all.seats_purchased ?? 0)
      return seats ? more(Number(all.seats_active ?? 0), Math.ceil(to * seats - 1e-9), 'assigned seat') : `seat use ${pct(from)} → ${pct(to)}`
    },
  },
  {
    name: 'mrr_change_30d',
    description: 'Relative MRR change over the last 30 days (no data unless the account had MRR 30 days ago)',
    kind: 'number',
    min: -1,
    format: (v) => `MRR ${signedPct(v)} in 30 days`,
  },
  // Context (shown in explanations; scorable too)
  count('seats_purchased', 'Seats purchased, from the latest seats_updated', 'seat'),
  count('seats_active', 'Seats active, from the latest seats_updated', 'seat'),
  count('core_features', 'How many core features the scorecard names (or found by usage)', 'core feature'),
  count('core_features_used', 'Core features used in the last 30 days', 'core feature'),
  {
    ...count('mrr_cents', 'Monthly recurring revenue, in minor units, from the latest subscription_updated', 'cent'),
    format: (v) => `MRR ${(num(v) / 100).toFixed(2)}`,
  },
  count('tenure_days', 'Days since the account was first seen', 'day'),
]

const BY_NAME = new Map(MEASURES.map((m) => [m.name, m]))

export function measureNamed(name: string): MeasureDef | undefined {
  return BY_NAME.get(name)
}

export const MEASURE_NAMES: readonly string[] = MEASURES.map((m) => m.name)
