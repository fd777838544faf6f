/**
 * Pure: until when an account's rules can do nothing while its state stays as it is. A steady sweep hands
 * every account to the rules although, for nearly all, only the time moved; once an evaluation has run the
 * rules on a state against itself (only time between the two), the verdicts stay what they were until a
 * clocked condition's next turn, and the episodes change only when one re-arms or a task comes due. Before
 * the earliest of those instants, evaluating the account again would find nothing to write and nothing to do
 * (see `EpisodeStore.plan`; test/unit/playbook-quiet-until.test.ts runs the rules to check it).
 */
import type { AccountState } from './account-state.js'
import { nextTurn, readsClock } from './condition-clock.js'
import { conditionInputs, sameFields } from './condition-inputs.js'
import type { Episode } from './episode.js'
import { nextOccurrenceAt } from './plan-actions.js'
import type { AccountRule } from './rules.js'

/** When the episode itself next changes under a verdict that stays the same (Infinity: never). */
export function episodeQuietUntil(rule: AccountRule, episode: Episode): number {
  if (episode.status === 'armed') return Infinity
  // Cleared: it re-arms once cleared for the quiet time; no step opens meanwhile.
  if (episode.clearedSince !== null) return episode.clearedSince + rule.rearmAfterMs
  let until = Infinity
  for (const action of rule.actions) {
    if (action.type === 'task') until = Math.min(until, nextOccurrenceAt(action, episode.since, episode.opened[action.id] ?? 0))
  }
  return until
}

/**
 * The first instant at which the rule may act or change its episode, given the episode an evaluation of
 * `state` against the same state (only the time moved) left it with, at `state.now`.
 */
export function ruleQuietUntil(rule: AccountRule, state: AccountState, episode: Episode): number {
  const turn = readsClock(rule.when) ? nextTurn(rule.when, state, state.now) : Infinity
  return Math.min(turn, episodeQuietUntil(rule, episode))
}

/**
 * The same after an evaluation of `current` against `previous` (undefined: the account's first): the quiet
 * time holds when the verdict is the one the state against itself would give — when the two agree in every
 * field the condition reads of the previous state (its edges; most conditions read none). Otherwise -Infinity:
 * the next evaluation, against this state, must run the rule.
 */
export function ruleQuietAfter(rule: AccountRule, previous: AccountState | undefined, current: AccountState, episode: Episode): number {
  const edges = conditionInputs(rule.when).previous
  if (edges.length && (!previous || !sameFields(edges, previous, current))) return -Infinity
  return ruleQuietUntil(rule, current, episode)
}
