/**
 * What rules see of one account at one evaluation. The edges build it from what Pulse already stores (the
 * health score record, the churn prediction, the account 360 profile); the evaluator never reads anything
 * else, so a rule's verdict can be replayed from two of these.
 *
 * Null means unknown (no score yet, no subscription reported, the churn model not READY): a condition over
 * an unknown value neither fires nor clears, so missing data never opens or closes an episode.
 */
import type { Segment } from '../scoring/scorecard.js'

export interface AccountState {
  accountId: string
  /** Epoch ms this state is as of: the evaluator's clock, injected. */
  now: number
  segment: Segment | null
  /** The account's CSM (account_updated.csmId): who `assignee: csm` and `to: csm` resolve to. */
  csmId: string | null
  /** The published (smoothed, whole) health score. */
  score: number | null
  tier: string | null
  /** Churn probability 0–1 within the model's horizon. */
  churnProbability: number | null
  /** Whole days until the renewal date, negative once it has passed (the `days_to_renewal` measure). */
  daysToRenewal: number | null
  seatsActive: number | null
  seatsPurchased: number | null
  /** Epoch ms of the signup date (account_updated.signupDate, else the first event). */
  signupAt: number | null
  /** milestoneId → epoch ms it was first reached (onboarding_milestone_reached). */
  milestones: Record<string, number>
  /** The key features as the scorecard resolves them (its `coreFeatures`, or the portfolio's top N). */
  keyFeatures: string[]
  /** feature → epoch ms (day) of its last use; absent when never used, or not within the longest "unused for" window rules ask about. */
  featureLastUsed: Record<string, number>
  /** Epoch ms of the latest payment_failed, null when none. */
  lastPaymentFailedAt: number | null
  /** Epoch ms of the latest support_ticket_opened with severity P1, null when none. */
  lastP1TicketAt: number | null
}

/** Named event conditions and where an AccountState keeps their latest time. */
export const EVENT_FIELDS = {
  payment_failed: 'lastPaymentFailedAt',
  p1_ticket_opened: 'lastP1TicketAt',
} as const satisfies Record<string, keyof AccountState>

export type AccountEvent = keyof typeof EVENT_FIELDS
