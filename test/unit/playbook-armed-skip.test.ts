import { describe, expect, it } from 'vitest'
import { readsClock, verdictSteady } from '../../processors/playbooks/condition-clock.js'
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

  it('for every default rule that reads the clock, an armed episode is skipped only when its verdict turns at no instant in between — and the turns are real', () => {
    // Young and older accounts, milestones reached or not, key features used recently, long ago or never.
    const keyFeatures = ['reports', 'api']
    const young: AccountState[] = []
    for (const signedUpDaysAgo of [0.5, 6.9, 7.2, 13.9, 14.1, 20.9, 21.5, 45, 90, 400]) {
      for (const milestones of <Record<string, number>[]>[{}, { setup_completed: T0 - DAY }, { onboarding_completed: T0 - 29.9 * DAY }, { onboarding_completed: T0 - 60 * DAY, setup_completed: T0 - 80 * DAY, training_scheduled: T0 - 80 * DAY }]) {
        for (const featureLastUsed of <Record<string, number>[]>[{}, { reports: T0 - 29.95 * DAY, api: T0 - DAY }, { reports: T0 - 100 * DAY }]) {
          young.push(account({ signupAt: T0 - signedUpDaysAgo * DAY, milestones, keyFeatures, featureLastUsed }))
        }
      }
    }
    let skipped = 0
    let turned = 0
    let firedAtTurn = 0
    for (const rule of rules.rules.filter((r) => readsClock(r.when))) {
      for (const state of young) {
        for (const step of [3_600_000, DAY, 3 * DAY]) {
          const armed = runRule(rule, { previous: undefined, current: state, episode: NEVER_FIRED, owners: rules }).episode
          if (armed.status !== 'armed') continue
          const later = { ...state, now: state.now + step }
          const again = runRule(rule, { previous: state, current: later, episode: armed, owners: rules })
          if (verdictSteady(rule.when, later, state.now, later.now)) {
            expect({ rule: rule.id, fires: again.fires, episode: again.episode, actions: again.actions }).toEqual({ rule: rule.id, fires: false, episode: armed, actions: [] })
            skipped++
          } else {
            turned++
            if (again.fires) firedAtTurn++
          }
        }
      }
    }
    expect(skipped).toBeGreaterThan(300)
    expect(turned).toBeGreaterThan(10)
    expect(firedAtTurn).toBeGreaterThan(5)
  })
})
