/**
 * Pure: one account rule at one evaluation — whether it fires now (its condition became true while armed),
 * its new episode, and the actions that are due (the alert and first steps when it fires, delayed and
 * recurring steps later while the episode lasts). The scoring path and the sweep call `runRule` alike.
 */
import type { AccountState } from './account-state.js'
import { conditionVerdict, type Verdict } from './condition-verdict.js'
import { stepEpisode, type Episode } from './episode.js'
import { planActions, type Owners } from './plan-actions.js'
import type { PlannedAction } from './planned-actions.js'
import type { AccountRule } from './rules.js'

export interface RuleEvaluation {
  fires: boolean
  episode: Episode
  verdict: Verdict
}

/**
 * `previous` is the state the account's last evaluation saw (undefined for its first); edges compare
 * against it, so it must be what was evaluated, not merely the last score.
 */
export function evaluateRule(rule: AccountRule, input: { previous: AccountState | undefined; current: AccountState; episode: Episode | undefined }): RuleEvaluation {
  const verdict = conditionVerdict(rule.when, input.previous, input.current)
  const { fires, episode } = stepEpisode(input.episode, verdict, input.current.now, rule.rearmAfterMs)
  return { fires, episode, verdict }
}

export interface RuleRun extends RuleEvaluation {
  actions: PlannedAction[]
}

/** Evaluation and the actions due, with the episode that records them: what an edge stores in one compare-and-set. */
export function runRule(rule: AccountRule, input: { previous: AccountState | undefined; current: AccountState; episode: Episode | undefined; owners: Owners }): RuleRun {
  const evaluation = evaluateRule(rule, input)
  const { actions, episode } = planActions(rule, { account: input.current, owners: input.owners, ...evaluation })
  return { ...evaluation, episode, actions }
}
