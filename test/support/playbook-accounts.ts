// Shared by the playbook tests: a Stable, fully onboarded account on a fixed clock, and a runner that
// carries the previous state and the episode from one evaluation to the next, as the edges will.
import type { AccountState } from '../../processors/playbooks/account-state.js'
import type { Episode } from '../../processors/playbooks/episode.js'
import { runRule, type RuleRun } from '../../processors/playbooks/evaluate-rule.js'
import type { Owners } from '../../processors/playbooks/plan-actions.js'
import type { AccountRule } from '../../processors/playbooks/rules.js'
import { tierOf } from '../../processors/scoring/score.js'
import type { Tier } from '../../processors/scoring/scorecard.js'

export const DAY = 86_400_000
export const HOUR = 3_600_000
export const T0 = Date.parse('2026-03-02T09:00:00Z')

export function account(over: Partial<AccountState> = {}): AccountState {
  return {
    accountId: 'acct_1',
    now: T0,
    segment: 'MID_MARKET',
    csmId: 'csm_ana',
    score: 70,
    tier: 'Stable',
    churnProbability: null,
    daysToRenewal: 200,
    seatsActive: 50,
    seatsPurchased: 50,
    signupAt: T0 - 365 * DAY,
    milestones: { setup_completed: T0 - 360 * DAY, training_scheduled: T0 - 358 * DAY, onboarding_completed: T0 - 330 * DAY },
    keyFeatures: ['reports.export', 'dashboards.share'],
    featureLastUsed: { 'reports.export': T0 - DAY, 'dashboards.share': T0 - 2 * DAY },
    lastPaymentFailedAt: null,
    lastP1TicketAt: null,
    ...over,
  }
}

/** A state with `score` banded into its tier, as the score record has it. */
export const scored = (tiers: Tier[], score: number, over: Partial<AccountState> = {}) => account({ score, tier: tierOf(tiers, score).name, ...over })

/** Runs a rule over a sequence of states: the first is evaluated with no previous state, like a new account. */
export function runSequence(rule: AccountRule, states: AccountState[], owners: Owners, start?: { previous?: AccountState; episode?: Episode }): RuleRun[] {
  let previous = start?.previous
  let episode = start?.episode
  return states.map((current) => {
    const run = runRule(rule, { previous, current, episode, owners })
    previous = current
    episode = run.episode
    return run
  })
}

/** Indices of the evaluations at which the rule fired. */
export const firings = (runs: RuleRun[]) => runs.flatMap((r, i) => (r.fires ? [i] : []))

