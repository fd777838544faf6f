/**
 * Pure: what a CSM should do about an account's main issue — the scorecard measure that cost its score the
 * most points (its first driver). The words follow ../shared/domain/004's at-risk table ("Low usage →
 * Outreach", "Support issue → Escalate"); the playbooks issue will let teams configure them.
 */
const ACTIONS: [RegExp, string][] = [
  [/^(active_days|logins|weekly_active|wau_trend|active_users)/, 'Outreach: usage review with the champion'],
  [/^(adoption_rate|core_feature|distinct_features|seat_utilization)/, 'Adoption training on the core features'],
  [/^(tickets|escalations|support_experience|ticket_sentiment|median_resolution|csat)/, 'Escalate: resolve the open support issues'],
  [/^(payment_status|unpaid_failed|days_late)/, 'Billing follow-up with their finance contact'],
  [/^nps/, 'Close the loop on their NPS feedback'],
  [/^(email_engagements|days_since_csm_touch)/, 'CSM check-in (no recent touch)'],
  [/^days_to_renewal/, 'Start the renewal conversation'],
  [/^mrr_change/, 'Review the downgrade with the account owner'],
]

export function recommendedAction(measure: string | null | undefined): string {
  if (!measure) return 'Account review'
  return ACTIONS.find(([pattern]) => pattern.test(measure))?.[1] ?? 'Account review'
}
