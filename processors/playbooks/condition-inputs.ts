/**
 * Pure: which fields of an account's state a condition's verdict reads — of the current state (and so of its
 * clock turns), and of the previous one (the edges). When the fields that move between two sweeps are ones a
 * rule does not read (the portfolio's key features changing at midnight, a renewal a day nearer, a new CSM),
 * that rule's verdict is the one it had, and its quiet time still stands (see `EpisodeStore.plan`).
 */
import { EVENT_FIELDS, type AccountState } from './account-state.js'
import type { Condition } from './rules.js'
import { sameList, sameRecord } from './state-equal.js'

/** A field a condition can read: everything but the account's id and the time. */
export type StateField = Exclude<keyof AccountState, 'accountId' | 'now'>

export interface ConditionInputs {
  /** Read of the current state, by the verdict or by `nextTurn`. */
  current: readonly StateField[]
  /** Read of the previous state: the edges compare it with the current one. */
  previous: readonly StateField[]
  /** Both together: what must stay as it was for the verdict on a pair of states to stay as it was. */
  all: readonly StateField[]
}

const INPUTS = new WeakMap<Condition, ConditionInputs>()

function fieldsOf(c: Condition, current: Set<StateField>, previous: Set<StateField>): void {
  const anchor = (since: string | null) => current.add(since === null ? 'signupAt' : 'milestones')
  switch (c.kind) {
    case 'all':
      for (const part of c.conditions) fieldsOf(part, current, previous)
      return
    case 'score':
      current.add('score')
      return
    case 'churn':
      current.add('churnProbability')
      return
    case 'tier-in':
      // Leaving the tiers is judged by the score against their bands (the margin).
      current.add('tier').add('score')
      return
    case 'tier-enters':
      current.add('tier').add('score')
      previous.add('tier')
      return
    case 'tier-changes':
      current.add('tier')
      previous.add('tier')
      return
    case 'renewal':
      current.add('daysToRenewal')
      return
    case 'seats':
      current.add('seatsActive').add('seatsPurchased')
      return
    case 'event':
      current.add(EVENT_FIELDS[c.event])
      previous.add(EVENT_FIELDS[c.event])
      return
    case 'signed-up':
      current.add('signupAt')
      return
    case 'milestone-reached':
      current.add('milestones')
      return
    case 'milestone-missing':
      current.add('milestones')
      anchor(c.since)
      return
    case 'feature-unused':
      current.add('featureLastUsed')
      if (c.features === null) current.add('keyFeatures')
      anchor(c.since)
      return
    case 'segment':
      current.add('segment')
      return
    default: {
      // A new kind of condition must say here what it reads.
      const unknown: never = c
      throw new Error(`condition inputs: unknown condition ${JSON.stringify(unknown)}`)
    }
  }
}

export function conditionInputs(c: Condition): ConditionInputs {
  let inputs = INPUTS.get(c)
  if (!inputs) {
    const [current, previous] = [new Set<StateField>(), new Set<StateField>()]
    fieldsOf(c, current, previous)
    inputs = { current: [...current], previous: [...previous], all: [...new Set([...current, ...previous])] }
    INPUTS.set(c, inputs)
  }
  return inputs
}

/** Whether two states hold the same values in these fields (records by content, lists in order). */
export function sameFields(fields: readonly StateField[], a: AccountState, b: AccountState): boolean {
  for (const f of fields) {
    const [x, y] = [a[f], b[f]]
    if (x === y) continue
    if (f === 'keyFeatures') {
      if (!sameList(x as string[], y as string[])) return false
    } else if (f === 'milestones' || f === 'featureLastUsed') {
      if (!sameRecord(x as Record<string, number>, y as Record<string, number>)) return false
    } else return false
  }
  return true
}
