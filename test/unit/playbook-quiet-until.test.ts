import { describe, expect, it } from 'vitest'
import { NEVER_FIRED, runRule, type AccountState, type Episode } from '../../processors/playbooks/index.js'
import { nextOccurrenceAt, dueOccurrence } from '../../processors/playbooks/plan-actions.js'
import { ruleQuietAfter, ruleQuietUntil } from '../../processors/playbooks/quiet-until.js'
import { resolveRules, readRulesYaml } from '../../processors/playbooks/rules-file.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { account, DAY, HOUR, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const { rules } = loadRules({ scorecard: card, config: 'default' })

// States across every default rule's conditions: each tier, renewals near, seats over, payment failures and P1
// tickets, churn risk, and young accounts with milestones reached or not and key features used or not.
const keyFeatures = ['reports', 'api']
const states: AccountState[] = [
  ...[15, 35, 45, 58, 62, 75, 85, 95].map((score) => scored(card.tiers, score)),
  scored(card.tiers, 50, { daysToRenewal: 30, churnProbability: 0.7 }),
  scored(card.tiers, 38, { daysToRenewal: 10, churnProbability: 0.9, csmId: null }),
  scored(card.tiers, 70, { seatsActive: 70, seatsPurchased: 50 }),
  scored(card.tiers, 70, { lastPaymentFailedAt: T0 - DAY, lastP1TicketAt: T0 - 2 * DAY }),
  account({ score: null, tier: null, daysToRenewal: null }),
]
for (const signedUpDaysAgo of [0.5, 6.9, 13.9, 20.9, 45, 400]) {
  for (const milestones of <Record<string, number>[]>[{}, { setup_completed: T0 - 0.4 * DAY }, { onboarding_completed: T0 - 29.9 * DAY, setup_completed: T0 - 40 * DAY, training_scheduled: T0 - 40 * DAY }]) {
    for (const featureLastUsed of <Record<string, number>[]>[{}, { reports: T0 - 29.95 * DAY, api: T0 - DAY }]) {
      states.push(scored(card.tiers, 45, { signupAt: T0 - signedUpDaysAgo * DAY, milestones, keyFeatures, featureLastUsed }))
    }
  }
}
const at = (s: AccountState, now: number) => ({ ...s, now })
const same = (a: { fires: boolean; episode: Episode; actions: unknown[] }) => ({ fires: a.fires, episode: a.episode, actions: a.actions })

describe("an account's quiet time: until when its rules can do nothing while its state stays the same", () => {
  it('a task occurrence comes due exactly when dueOccurrence first answers one', () => {
    for (const task of [{ startMs: 0, everyMs: null }, { startMs: 3 * DAY, everyMs: null }, { startMs: 0, everyMs: 7 * DAY }, { startMs: DAY, everyMs: 7 * DAY }]) {
      for (const opened of [0, 1, 3]) {
        const next = nextOccurrenceAt(task, T0, opened)
        if (next === Infinity) {
          expect(dueOccurrence(task, T0, opened, T0 + 1000 * DAY)).toBeNull()
          continue
        }
        expect(dueOccurrence(task, T0, opened, next - 1)).toBeNull()
        expect(dueOccurrence(task, T0, opened, next)).not.toBeNull()
      }
    }
  })

  it("for every default rule (and each with a wait before re-arming), evaluating the same state again before its quiet time ends fires nothing, acts on nothing and leaves the episode as it was — and the time is not forever where something is due", () => {
    let checked = 0
    let changedAtEnd = 0
    let finite = 0
    // The default rules re-arm at once; each again with a quiet time before re-arming, so episodes stay cleared a while.
    for (const rule of [...rules.rules, ...rules.rules.map((r) => ({ ...r, id: `${r.id} (rearm after 3 days)`, rearmAfterMs: 3 * DAY }))]) {
      for (const state of states) {
        // However the account came to this state (new, from another state, from a rule already active)…
        for (const before of [undefined, states[0], states[5], states[9]]) {
          const from = before && runRule(rule, { previous: undefined, current: at(before, state.now - DAY), episode: NEVER_FIRED, owners: rules }).episode
          const arrived = runRule(rule, { previous: before && at(before, state.now - DAY), current: state, episode: from ?? NEVER_FIRED, owners: rules })
          for (const gap of [HOUR, DAY]) {
            // …then one evaluation of the state against itself: the one the quiet time is computed after.
            const t1 = state.now + gap
            const settled = runRule(rule, { previous: state, current: at(state, t1), episode: arrived.episode, owners: rules })
            const quiet = ruleQuietUntil(rule, at(state, t1), settled.episode)
            expect(quiet, rule.id).toBeGreaterThan(t1)
            const probes = [t1 + 1, t1 + HOUR, t1 + DAY, t1 + 3 * DAY, t1 + 7 * DAY, t1 + 30 * DAY, t1 + 200 * DAY, quiet - 1].filter((t) => t < quiet)
            for (const t of probes) {
              const again = runRule(rule, { previous: at(state, t1), current: at(state, t), episode: settled.episode, owners: rules })
              expect({ rule: rule.id, ...same(again) }).toEqual({ rule: rule.id, fires: false, episode: settled.episode, actions: [] })
              checked++
            }
            if (quiet === Infinity) continue
            finite++
            const atEnd = runRule(rule, { previous: at(state, t1), current: at(state, quiet), episode: settled.episode, owners: rules })
            if (atEnd.fires || atEnd.actions.length || JSON.stringify(atEnd.episode) !== JSON.stringify(settled.episode)) changedAtEnd++
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(6000)
    // Where the quiet time ends, something does happen in most cases (a re-arm, a task due, a rule firing); a
    // clock turn that changes nothing (a verdict moving from "holds" to "cleared" on an armed rule) is the rest.
    expect(finite).toBeGreaterThan(100)
    expect(changedAtEnd / finite).toBeGreaterThan(0.5)
  })

  it('after an evaluation of a changed state, the quiet time holds as the state against itself would give it, for conditions that read no edge; an edge whose field moved has none', () => {
    const edges = resolveRules(
      readRulesYaml('/cfg/pulse.rules.yaml', 'rules:\n  - { id: tier-down, when: { tier: { changes: down } }, rearm: { after: 2d }, actions: [ { alert: { severity: critical } } ] }\n  - { id: p1, when: { event: p1_ticket_opened }, actions: [ { alert: { severity: warning } } ] }\n  - { id: red-now, when: { tier: { enters: [Critical] } }, actions: [ { task: { id: call, title: Call, due: 1d, every: 2d } } ] }\n'),
      { tiers: card.tiers },
    ).rules.rules
    let checked = 0
    let quietAfterChange = 0
    let noneOnEdge = 0
    for (const rule of [...rules.rules, ...rules.rules.map((r) => ({ ...r, rearmAfterMs: 3 * DAY })), ...edges]) {
      for (const state of states) {
        for (const before of [undefined, states[0], states[5], states[9], states[11], states.at(-1)!]) {
          const previous = before && at(before, state.now - DAY)
          const from = before && runRule(rule, { previous: undefined, current: previous!, episode: NEVER_FIRED, owners: rules }).episode
          const arrived = runRule(rule, { previous, current: state, episode: from ?? NEVER_FIRED, owners: rules })
          const quiet = ruleQuietAfter(rule, previous, state, arrived.episode)
          if (quiet === -Infinity) {
            noneOnEdge++
            continue
          }
          if (previous && JSON.stringify({ ...previous, now: 0 }) !== JSON.stringify({ ...state, now: 0 })) quietAfterChange++
          // The next evaluations compare with the state this one stored.
          for (const t of [state.now + 1, state.now + HOUR, state.now + DAY, state.now + 7 * DAY, state.now + 60 * DAY, quiet - 1].filter((t) => t > state.now && t < quiet)) {
            const again = runRule(rule, { previous: state, current: at(state, t), episode: arrived.episode, owners: rules })
            expect({ rule: rule.id, before: before?.score, ...same(again) }).toEqual({ rule: rule.id, before: before?.score, fires: false, episode: arrived.episode, actions: [] })
            checked++
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(6000)
    expect(quietAfterChange).toBeGreaterThan(1000)
    expect(noneOnEdge).toBeGreaterThan(50)
  })
})
