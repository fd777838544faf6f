import type { HealthScoreRecord } from '../scoring/account-score.js'
import type { MeasureValues } from '../scoring/measures.js'
import type { PlaybookFacts } from './account-facts.js'
import type { AccountState } from './account-state.js'

/** What a rule evaluation is built from: a scoring pass's record, the account's churn risk, and its facts (CSM included). */
export interface AccountStateInputs {
  record: Pick<HealthScoreRecord, 'accountId' | 'asOf' | 'segment' | 'score' | 'tier' | 'measures'>
  /** The in-force prediction's probability; null without a READY model. */
  churnProbability: number | null
  /** The scorecard's key features as the pass resolved them (configured core features or the portfolio's top N). */
  keyFeatures: string[]
  facts: PlaybookFacts
}

const numberOf = (values: MeasureValues, name: string): number | null => {
  const v = values[name]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/**
 * Pure: the state rules see, as of the score's time — never the wall clock, so a sweep replayed for a past time
 * and a late job evaluate what was true then. Renewal and seats are the measures the score already computed.
 */
export function accountStateOf(input: AccountStateInputs): AccountState {
  const { record, facts } = input
  return {
    accountId: record.accountId,
    now: record.asOf,
    segment: record.segment,
    csmId: facts.csmId,
    score: record.score,
    tier: record.tier,
    churnProbability: input.churnProbability,
    daysToRenewal: numberOf(record.measures, 'days_to_renewal'),
    seatsActive: numberOf(record.measures, 'seats_active'),
    seatsPurchased: numberOf(record.measures, 'seats_purchased'),
    signupAt: facts.signupAt,
    milestones: facts.milestones,
    keyFeatures: input.keyFeatures,
    featureLastUsed: facts.featureLastUsed,
    lastPaymentFailedAt: facts.lastPaymentFailedAt,
    lastP1TicketAt: facts.lastP1TicketAt,
  }
}
