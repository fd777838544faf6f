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

/** Whether `at` lies in (from, to]: a verdict that turns at `at` differs between the two times. */
const turnsBetween = (at: number, from: number, to: number) => at > from && at <= to

/**
 * Whether the condition's verdict on `state` is the same at every time in [from, to] — everything but the
 * time held as in `state`. Each clocked condition turns at known instants (signup + window, anchor + wait,
 * last use + window); none between the two times means the verdict did not change. Conservative at the
 * instants themselves (an instant at `to` counts as a turn).
 */
export function verdictSteady(c: Condition, state: AccountState, from: number, to: number): boolean {
  switch (c.kind) {
    case 'all':
      return c.conditions.every((sub) => verdictSteady(sub, state, from, to))
    case 'signed-up':
      // Holds while now − signup ≤ within: turns just after signup + within.
      return state.signupAt === null || !turnsBetween(state.signupAt + c.withinMs + 1, from, to)
    case 'milestone-missing': {
      if (state.milestones[c.milestone] !== undefined) return true
      const anchor = anchorTime(state, c.since)
      return anchor === null || !turnsBetween(anchor + c.afterMs, from, to)
    }
    case 'feature-unused': {
      const anchor = anchorTime(state, c.since)
      const features = c.features ?? state.keyFeatures
      if (anchor === null || !features.length) return true
      if (turnsBetween(anchor + c.forMs, from, to)) return false
      // A feature counts as unused once its last use is before max(anchor, now − for): just after last use + for.
      return features.every((f) => {
        const used = state.featureLastUsed[f]
        return used === undefined || !turnsBetween(used + c.forMs + 1, from, to)
      })
    }
    default:
      return !readsClock(c)
  }
}

function anchorTime(s: AccountState, since: string | null): number | null {
  return since === null ? s.signupAt : (s.milestones[since] ?? null)
}
