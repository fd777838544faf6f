/**
 * Pure: the churn model's features, one list. Each is derived from the scoring measures of an account as of
 * a snapshot (the same measures the health score uses, read by `measure-query.ts` with nothing after the
 * snapshot), and for trends from the same measures four weeks earlier. Null = unknown (imputed as average).
 */
import type { MeasureValues, Segment } from '../scoring/index.js'

export interface FeatureInput {
  values: MeasureValues
  /** The same account's measures 28 days before; null when it did not exist yet. */
  before: MeasureValues | null
  segment: Segment | null
  /** The account's raw health score as of the snapshot, for comparing the model with the scorecard alone. */
  healthScore: number | null
}

export interface FeatureDef {
  name: string
  description: string
  value(input: FeatureInput): number | null
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v))
const measure = (name: string, description: string): FeatureDef => ({ name, description, value: ({ values }) => num(values[name]) })
const logOf = (name: string, description: string): FeatureDef => ({
  name: `log_${name}`,
  description,
  value: ({ values }) => (num(values[name]) === null ? null : Math.log1p(Math.max(0, num(values[name])!))),
})
const change = (name: string, description: string): FeatureDef => ({
  name: `${name}_change_28d`,
  description,
  value: ({ values, before }) => {
    const now = num(values[name])
    const then = before ? num(before[name]) : null
    return now === null || then === null ? null : now - then
  },
})
const is = (name: string, description: string, test: (i: FeatureInput) => boolean): FeatureDef => ({ name, description, value: (i) => (test(i) ? 1 : 0) })

export const FEATURES: readonly FeatureDef[] = [
  // The scorecard's own summary: a prior the model can lean on or discount
  { name: 'health_score', description: 'Raw health score from the running scorecard', value: ({ healthScore }) => healthScore },
  // Usage and its trends
  measure('active_days_7d', 'Active days in the last 7'),
  measure('active_days_30d', 'Active days in the last 30'),
  measure('active_users_30d', 'Active users in the last 30 days'),
  measure('logins_30d', 'Logins in the last 30 days'),
  measure('adoption_rate', 'Active users per seat purchased'),
  measure('wau_trend', 'Weekly active users now against 4 weeks ago'),
  measure('distinct_features_30d', 'Distinct features used in the last 30 days'),
  measure('core_feature_share', 'Share of the core features used'),
  {
    name: 'usage_trend_7d_vs_30d',
    description: 'Share of the last 7 days active minus share of the last 30 days active',
    value: ({ values }) => (num(values.active_days_7d) === null ? null : num(values.active_days_7d)! / 7 - num(values.active_days_30d)! / 30),
  },
  change('active_days_30d', 'Change in active days (30-day window) over 4 weeks'),
  change('active_users_30d', 'Change in active users (30-day window) over 4 weeks'),
  change('logins_30d', 'Change in logins (30-day window) over 4 weeks'),
  change('distinct_features_30d', 'Change in distinct features used over 4 weeks'),
  change('adoption_rate', 'Change in adoption rate over 4 weeks'),
  // Support
  measure('tickets_opened_30d', 'Tickets opened in the last 30 days'),
  measure('tickets_p1_30d', 'P1 tickets opened in the last 30 days'),
  measure('tickets_p2_30d', 'P2 tickets opened in the last 30 days'),
  measure('escalations_30d', 'Escalations in the last 30 days'),
  measure('median_resolution_hours_30d', 'Median ticket resolution time (hours)'),
  measure('ticket_sentiment_30d', 'Net ticket sentiment'),
  measure('csat_90d', 'Average CSAT over 90 days'),
  is('support_negative', 'Support experience negative or escalated', ({ values }) => values.support_experience === 'NEGATIVE' || values.support_experience === 'ESCALATED'),
  // Voice of the customer and relationship
  measure('nps_90d', 'NPS over the last 90 days'),
  measure('nps_change_90d', 'NPS change against the 90 days before'),
  measure('email_engagements_30d', 'Email engagements in the last 30 days'),
  measure('days_since_csm_touch', 'Days since the last CSM touch'),
  // Billing and contract
  measure('unpaid_failed_invoices', 'Failed invoices not followed by a payment'),
  measure('days_late_90d', 'Most days late on an invoice in the last 90 days'),
  is('payment_overdue', 'Payment overdue or failed', ({ values }) => values.payment_status === 'OVERDUE' || values.payment_status === 'FAILED'),
  measure('days_to_renewal', 'Days to the renewal date'),
  measure('seat_utilization', 'Active seats per seat purchased'),
  measure('mrr_change_30d', 'MRR change over 30 days'),
  logOf('mrr_cents', 'log(1 + MRR in cents)'),
  logOf('seats_purchased', 'log(1 + seats purchased)'),
  logOf('tenure_days', 'log(1 + days since the account was first seen)'),
  // Plan and segment (SMB and unknown segments are the baseline)
  is('segment_enterprise', 'Enterprise segment', ({ segment }) => segment === 'ENTERPRISE'),
  is('segment_mid_market', 'Mid-market segment', ({ segment }) => segment === 'MID_MARKET'),
]

export const FEATURE_NAMES = FEATURES.map((f) => f.name)

export function featureRow(input: FeatureInput): (number | null)[] {
  return FEATURES.map((f) => {
    const v = f.value(input)
    return v === null || !Number.isFinite(v) ? null : v
  })
}

/**
 * The running scorecard's components as features too: each component's share of its points (its rule's
 * bands and ranges applied to a measure) is a shaped version of the measure that the raw value alone may not
 * give a linear model. Named `component:<path>`; unknown when the component has no data.
 */
export const COMPONENT_FEATURE_PREFIX = 'component:'

export function featureNames(components: { name: string }[]): string[] {
  return [...FEATURE_NAMES, ...components.map((c) => `${COMPONENT_FEATURE_PREFIX}${c.name}`)]
}

export function describeFeature(name: string): string {
  if (name.startsWith(COMPONENT_FEATURE_PREFIX)) return `Share of its points the scorecard component ${name.slice(COMPONENT_FEATURE_PREFIX.length)} earned`
  return FEATURES.find((f) => f.name === name)?.description ?? name
}
