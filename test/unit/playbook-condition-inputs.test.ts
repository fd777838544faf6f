import { describe, expect, it } from 'vitest'
import { factsWantedBy } from '../../processors/playbooks/account-facts.js'
import type { AccountState } from '../../processors/playbooks/account-state.js'
import { nextTurn } from '../../processors/playbooks/condition-clock.js'
import { conditionInputs, sameFields, type StateField } from '../../processors/playbooks/condition-inputs.js'
import { conditionVerdict } from '../../processors/playbooks/condition-verdict.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import type { Condition } from '../../processors/playbooks/rules.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { account, DAY, HOUR, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const { rules } = loadRules({ scorecard: card, config: 'default' })
const atRisk = rules.rules.map((r) => r.when).find((c): c is Extract<Condition, { kind: 'tier-in' }> => c.kind === 'tier-in')!

// Every kind of condition: the defaults' and the rest, edges and combinations included.
const conditions: Condition[] = [
  ...rules.rules.map((r) => r.when),
  { kind: 'churn', op: 'above', value: 0.5, margin: 0.05 },
  { kind: 'tier-enters', tiers: atRisk.tiers, margin: 3, bands: atRisk.bands },
  { kind: 'tier-changes', direction: 'down', order: card.tiers.map((t) => t.name).reverse() },
  { kind: 'event', event: 'p1_ticket_opened' },
  { kind: 'event', event: 'payment_failed' },
  { kind: 'milestone-reached', milestone: 'setup_completed' },
  { kind: 'milestone-missing', milestone: 'training_scheduled', afterMs: 7 * DAY, since: 'setup_completed' },
  { kind: 'feature-unused', forMs: 30 * DAY, since: null, features: ['api'] },
  { kind: 'segment', segments: ['ENTERPRISE'] },
  { kind: 'all', conditions: [atRisk, { kind: 'renewal', withinDays: 90 }, { kind: 'event', event: 'payment_failed' }] },
]

// Values each field takes in the states below (and others), to put in place of the state's own.
const values: Record<StateField, unknown[]> = {
  segment: [null, 'SMB', 'ENTERPRISE'],
  csmId: [null, 'csm_bo'],
  score: [null, 15, 58, 85],
  tier: [null, ...card.tiers.map((t) => t.name)],
  churnProbability: [null, 0.1, 0.9],
  daysToRenewal: [null, 10, 200, -5],
  seatsActive: [null, 12, 70],
  seatsPurchased: [null, 0, 50],
  signupAt: [null, T0 - 5 * DAY, T0 - 25 * DAY, T0 - 400 * DAY],
  milestones: [{}, { setup_completed: T0 - DAY }, { setup_completed: T0 - 20 * DAY, onboarding_completed: T0 - 40 * DAY }],
  keyFeatures: [[], ['reports'], ['api', 'reports']],
  featureLastUsed: [{}, { reports: T0 - 40 * DAY, api: T0 - DAY }, { api: T0 - 31 * DAY }],
  lastPaymentFailedAt: [null, T0 - HOUR, T0 - 3 * DAY],
  lastP1TicketAt: [null, T0 - HOUR, T0 - 3 * DAY],
}
const fields = Object.keys(values) as StateField[]

const states: AccountState[] = [
  ...[15, 35, 58, 62, 85].map((score) => scored(card.tiers, score)),
  scored(card.tiers, 38, { daysToRenewal: 10, churnProbability: 0.9, seatsActive: 70, lastPaymentFailedAt: T0 - HOUR, lastP1TicketAt: T0 - 2 * HOUR }),
  scored(card.tiers, 45, { segment: 'ENTERPRISE', signupAt: T0 - 25 * DAY, milestones: { setup_completed: T0 - 20 * DAY }, keyFeatures: ['reports', 'api'], featureLastUsed: { api: T0 - 40 * DAY } }),
  account({ score: null, tier: null, daysToRenewal: null, signupAt: null, segment: null }),
]
const verdictOf = (c: Condition, previous: AccountState | undefined, current: AccountState) => ({ verdict: conditionVerdict(c, previous, current), turn: nextTurn(c, current, current.now) })

describe('what a condition reads of an account state', () => {
  it('a field a condition does not name moves its verdict and its clock turns nowhere, in either state; a field it reads only of the current state does not matter in the previous one', () => {
    let checked = 0
    for (const c of conditions) {
      const inputs = conditionInputs(c)
      for (const current of states) {
        for (const previous of [undefined, ...states]) {
          const as = verdictOf(c, previous, current)
          for (const f of fields) {
            for (const v of values[f]) {
              if (!inputs.all.includes(f)) {
                // Moved in both states, and in each alone.
                for (const [p, q] of [[previous && { ...previous, [f]: v }, { ...current, [f]: v }], [previous, { ...current, [f]: v }], [previous && { ...previous, [f]: v }, current]] as const) {
                  expect(verdictOf(c, p, q), `${c.kind}: ${f} = ${JSON.stringify(v)}`).toEqual(as)
                  checked++
                }
              } else if (previous && !inputs.previous.includes(f)) {
                expect(verdictOf(c, { ...previous, [f]: v }, current), `${c.kind}: previous ${f} = ${JSON.stringify(v)}`).toEqual(as)
                checked++
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000)
  })

  it('names what each kind reads', () => {
    expect(conditionInputs(rules.rules.find((r) => r.id === 'adoption')!.when)).toEqual({ current: ['featureLastUsed', 'keyFeatures', 'milestones'], previous: [], all: ['featureLastUsed', 'keyFeatures', 'milestones'] })
    expect(conditionInputs(conditions.find((c) => c.kind === 'tier-changes')!)).toEqual({ current: ['tier'], previous: ['tier'], all: ['tier'] })
    expect([...conditionInputs(conditions.at(-1)!).all].sort()).toEqual(['daysToRenewal', 'lastPaymentFailedAt', 'score', 'tier'])
  })

  it('reads from ClickHouse only the facts some rule looks at', () => {
    const defaults = rules.rules.map((r) => r.when)
    // The default rules look at milestones (onboarding, adoption) and at no payment failure or P1 ticket.
    expect(factsWantedBy(defaults)).toEqual({ billingAndSupport: false, milestones: true })
    expect(factsWantedBy([...defaults, { kind: 'event', event: 'p1_ticket_opened' }])).toEqual({ billingAndSupport: true, milestones: true })
    // Inside a combination too.
    expect(factsWantedBy([conditions.at(-1)!])).toEqual({ billingAndSupport: true, milestones: false })
    expect(factsWantedBy([{ kind: 'feature-unused', forMs: 30 * DAY, since: null, features: null }])).toEqual({ billingAndSupport: false, milestones: false })
    expect(factsWantedBy([{ kind: 'feature-unused', forMs: 30 * DAY, since: 'setup_completed', features: null }])).toEqual({ billingAndSupport: false, milestones: true })
    expect(factsWantedBy([])).toEqual({ billingAndSupport: false, milestones: false })
  })

  it('compares lists in order and records by content', () => {
    const a = account()
    expect(sameFields(['keyFeatures', 'featureLastUsed'], a, { ...a, featureLastUsed: Object.fromEntries(Object.entries(a.featureLastUsed).reverse()), now: T0 + DAY })).toBe(true)
    expect(sameFields(['keyFeatures'], a, { ...a, keyFeatures: [...a.keyFeatures].reverse() })).toBe(false)
    expect(sameFields(['featureLastUsed'], a, { ...a, featureLastUsed: { ...a.featureLastUsed, api: T0 } })).toBe(false)
    expect(sameFields(['score'], a, { ...a, score: 71 })).toBe(false)
    expect(sameFields(['score'], a, { ...a, tier: 'At-risk' })).toBe(true)
  })
})
