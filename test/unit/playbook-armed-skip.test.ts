import { describe, expect, it } from 'vitest'
import { readsClock } from '../../processors/playbooks/episode-store.js'
import { NEVER_FIRED, runRule, type AccountState, type Episode } from '../../processors/playbooks/index.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { account, DAY, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const { rules } = loadRules({ scorecard: card, config: 'default' })

// States across every rule's conditions: scores and tiers, renewals, seats over, events, churn, young accounts.
const states: AccountState[] = [
  ...[15, 35, 45, 58, 62, 75, 85, 95].map((score) => scored(card.tiers, score)),
  scored(card.tiers, 50, { daysToRenewal: 30, churnProbability: 0.7 }),
  scored(card.tiers, 70, { seatsActive: 70, seatsPurchased: 50 }),
  scored(card.tiers, 70, { lastPaymentFailedAt: T0 - DAY, lastP1TicketAt: T0 - 2 * DAY }),
  account({ signupAt: T0 - 3 * DAY, milestones: {}, featureLastUsed: {} }),
  account({ score: null, tier: null, daysToRenewal: null }),
]

describe('the sweep skips armed rules that read no clock on a state where only time moved', () => {
  it('knows which default rules read the clock: onboarding stalls, unused features, new accounts', () => {
    const clocked = rules.rules.filter((r) => readsClock(r.when)).map((r) => r.id).sort()
    expect(clocked).toEqual(expect.arrayContaining(['adoption', 'onboarding', 'onboarding-setup-stalled', 'onboarding-training-stalled']))
    expect(clocked).not.toContain('score-below-60')
    expect(clocked).not.toContain('at-risk-before-renewal')
  })

  it('for every default rule that reads no clock, an armed episode on an unchanged state neither fires, changes nor acts — what skipping it assumes', () => {
    let checked = 0
    for (const rule of rules.rules.filter((r) => !readsClock(r.when))) {
      for (const state of states) {
        // The state was evaluated before (from anything) and left the rule armed: only then does the sweep skip it.
        for (const before of [undefined, ...states]) {
          const first = runRule(rule, { previous: before, current: state, episode: NEVER_FIRED, owners: rules })
          if (first.episode.status !== 'armed') continue
          const armed: Episode = first.episode
          const later = { ...state, now: state.now + 7 * DAY }
          const again = runRule(rule, { previous: state, current: later, episode: armed, owners: rules })
          expect({ rule: rule.id, fires: again.fires, episode: again.episode, actions: again.actions }).toEqual({ rule: rule.id, fires: false, episode: armed, actions: [] })
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(200)
  })
})
