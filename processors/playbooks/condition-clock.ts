/**
 * Pure: what the passing of time alone does to a condition's verdict. A steady sweep re-evaluates every
 * account although, for nearly all, only the time moved; these let it skip the rules whose verdict cannot
 * have changed (see `EpisodeStore.plan`).
 */
import type { AccountState } from './account-state.js'
import type { Condition } from './rules.js'

const CLOCK_READERS = new WeakMap<Condition, boolean>()

function clockIn(c: Condition): boolean {
  switch (c.kind) {
    case 'all':
      return c.conditions.some(readsClock)
    case 'signed-up':
    case 'milestone-missing':
    case 'feature-unused':
      return true
    case 'score':
    case 'churn':
    case 'tier-in':
    case 'tier-enters':
    case 'tier-changes':
    case 'renewal':
    case 'seats':
    case 'event':
    case 'milestone-reached':
    case 'segment':
      return false
    default: {
      // A new kind of condition must say here whether it reads the clock.
      const unknown: never = c
      return unknown
    }
  }
}

/** Whether a condition's verdict depends on the time itself, not only on the states it compares. */
export function readsClock(c: Condition): boolean {
  let known = CLOCK_READERS.get(c)
  if (known === undefined) {
    known = clockIn(c)
    CLOCK_READERS.set(c, known)
  }
  return known
}

/**
 * The earliest instant after `after` at which the condition's verdict on `state` may turn — everything but the
 * time held as in `state` (Infinity: never). Each clocked condition turns at known instants (signup + window,
 * anchor + wait, last use + window). Conservative at the instants themselves: a verdict that turns at `at`
 * differs between `at − 1` and `at`.
 */
export function nextTurn(c: Condition, state: AccountState, after: number): number {
  const first = (at: number) => (at > after ? at : Infinity)
  switch (c.kind) {
    case 'all':
      return Math.min(...c.conditions.map((sub) => nextTurn(sub, state, after)))
    case 'signed-up':
      // Holds while now − signup ≤ within: turns just after signup + within.
      return state.signupAt === null ? Infinity : first(state.signupAt + c.withinMs + 1)
    case 'milestone-missing': {
      if (state.milestones[c.milestone] !== undefined) return Infinity
      const anchor = anchorTime(state, c.since)
      return anchor === null ? Infinity : first(anchor + c.afterMs)
    }
    case 'feature-unused': {
      const anchor = anchorTime(state, c.since)
      const features = c.features ?? state.keyFeatures
      if (anchor === null || !features.length) return Infinity
      let turn = first(anchor + c.forMs)
      // A feature counts as unused once its last use is before max(anchor, now − for): just after last use + for.
      for (const f of features) {
        const used = state.featureLastUsed[f]
        if (used !== undefined) turn = Math.min(turn, first(used + c.forMs + 1))
      }
      return turn
    }
    default:
      // A condition kind that reads the clock without a case here is taken to turn at every instant.
      return readsClock(c) ? after + 1 : Infinity
  }
}

/** Whether the condition's verdict on `state` is the same at every time in [from, to] (see `nextTurn`). */
export function verdictSteady(c: Condition, state: AccountState, from: number, to: number): boolean {
  return nextTurn(c, state, from) > to
}

function anchorTime(s: AccountState, since: string | null): number | null {
  return since === null ? s.signupAt : (s.milestones[since] ?? null)
}
