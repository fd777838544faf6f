/**
 * Pure: what one condition says of an account between its previous evaluation and now. Three answers, not
 * two, because hysteresis needs them: `holds` (the rule may fire), `cleared` (false by more than the margin,
 * so the episode may end), or neither (inside the margin, or the data is unknown) — then nothing changes.
 */
import { EVENT_FIELDS, type AccountState } from './account-state.js'
import type { Condition, TierBand } from './rules.js'

export interface Verdict {
  holds: boolean
  cleared: boolean
  /** Why it holds, in words an alert or task can show: "score 58, below 60". Empty unless it holds. */
  why: string[]
}

const DAY = 86_400_000
const UNKNOWN: Verdict = { holds: false, cleared: false, why: [] }
const holds = (why: string): Verdict => ({ holds: true, cleared: false, why: [why] })
const CLEARED: Verdict = { holds: false, cleared: true, why: [] }
/** Past the threshold but not yet by the margin: the episode neither fires nor ends. */
const WITHIN_MARGIN: Verdict = UNKNOWN

export function conditionVerdict(c: Condition, previous: AccountState | undefined, current: AccountState): Verdict {
  switch (c.kind) {
    case 'score':
      return threshold(current.score, c, (v) => `score ${v}`, String)
    case 'churn':
      return threshold(current.churnProbability, c, (v) => `churn probability ${percent(v)}`, percent)
    case 'tier-in': {
      if (current.tier === null) return UNKNOWN
      if (c.tiers.includes(current.tier)) return holds(`tier ${current.tier}`)
      return leftTiers(current.score, c.bands, c.margin)
    }
    case 'tier-enters': {
      if (current.tier === null) return UNKNOWN
      if (c.tiers.includes(current.tier)) {
        const before = previous?.tier ?? null
        // Entering needs a tier to come from: a first score in the set is not a change anyone saw.
        return before !== null && !c.tiers.includes(before) ? holds(`tier ${current.tier} (was ${before})`) : WITHIN_MARGIN
      }
      return leftTiers(current.score, c.bands, c.margin)
    }
    case 'tier-changes': {
      const [before, now] = [previous?.tier ?? null, current.tier]
      if (before === null || now === null) return now === null ? UNKNOWN : CLEARED
      const move = c.order.indexOf(now) - c.order.indexOf(before)
      const moved = c.direction === 'any' ? move !== 0 : c.direction === 'down' ? move > 0 : move < 0
      return moved ? holds(`tier ${now} (was ${before})`) : CLEARED
    }
    case 'renewal': {
      const days = current.daysToRenewal
      if (days === null) return UNKNOWN
      if (days > c.withinDays) return CLEARED
      return holds(days >= 0 ? `renewal in ${plural(days, 'day')} (within ${c.withinDays})` : `renewal date passed ${plural(-days, 'day')} ago`)
    }
    case 'seats': {
      const [active, purchased] = [current.seatsActive, current.seatsPurchased]
      if (active === null || purchased === null || purchased <= 0) return UNKNOWN
      const over = active / purchased - 1
      if (over >= c.overBy - 1e-9) return holds(`${active} seats active of ${purchased} purchased (${percent(over)} over, threshold ${percent(c.overBy)})`)
      return over < c.overBy - c.margin ? CLEARED : WITHIN_MARGIN
    }
    case 'event': {
      const field = EVENT_FIELDS[c.event]
      const at = current[field]
      if (at === null) return CLEARED
      // Without a previous evaluation every event so far is news: the edges prime episodes when rules are
      // first deployed, so only a genuinely new account gets here.
      const seen = previous?.[field] ?? null
      return seen === null || at > seen ? holds(`${c.event.replace(/_/g, ' ')} at ${iso(at)}`) : CLEARED
    }
    case 'signed-up': {
      if (current.signupAt === null) return UNKNOWN
      const age = current.now - current.signupAt
      return age <= c.withinMs ? holds(`signed up ${iso(current.signupAt)}`) : CLEARED
    }
    case 'milestone-reached': {
      const at = current.milestones[c.milestone]
      return at === undefined ? CLEARED : holds(`${c.milestone} reached ${iso(at)}`)
    }
    case 'milestone-missing': {
      if (current.milestones[c.milestone] !== undefined) return CLEARED
      const anchor = anchorTime(current, c.since)
      if (anchor === null) return UNKNOWN
      const waited = current.now - anchor
      return waited >= c.afterMs ? holds(`${c.milestone} not reached ${plural(Math.floor(waited / DAY), 'day')} after ${c.since ?? 'signup'}`) : CLEARED
    }
    case 'feature-unused': {
      const anchor = anchorTime(current, c.since)
      const features = c.features ?? current.keyFeatures
      if (anchor === null || !features.length) return UNKNOWN
      if (current.now - anchor < c.forMs) return CLEARED
      // Unused for the whole window: since the anchor, or the last `for` if the anchor is older.
      const from = Math.max(anchor, current.now - c.forMs)
      const unused = features.filter((f) => (current.featureLastUsed[f] ?? -Infinity) < from)
      if (!unused.length) return CLEARED
      return holds(`${unused.join(', ')} unused for ${plural(Math.floor((current.now - from) / DAY), 'day')} since ${c.since ?? 'signup'}`)
    }
    case 'segment':
      if (current.segment === null) return UNKNOWN
      return c.segments.includes(current.segment) ? holds(`segment ${current.segment}`) : CLEARED
    case 'all': {
      const parts = c.conditions.map((p) => conditionVerdict(p, previous, current))
      // Any part cleared ends the conjunction; every part must hold for it to fire.
      if (parts.some((p) => p.cleared)) return CLEARED
      if (parts.every((p) => p.holds)) return { holds: true, cleared: false, why: parts.flatMap((p) => p.why) }
      return UNKNOWN
    }
  }
}

function threshold(value: number | null, c: { op: 'below' | 'above'; value: number; margin: number }, what: (v: number) => string, show: (v: number) => string): Verdict {
  if (value === null) return UNKNOWN
  const past = c.op === 'below' ? value < c.value : value > c.value
  if (past) return holds(`${what(value)}, ${c.op} ${show(c.value)}`)
  const clear = c.op === 'below' ? value >= c.value + c.margin : value <= c.value - c.margin
  return clear ? CLEARED : WITHIN_MARGIN
}

/** Out of the named tiers: cleared once the score is more than `margin` points from every one of them. */
function leftTiers(score: number | null, bands: TierBand[], margin: number): Verdict {
  if (score === null) return UNKNOWN
  const near = bands.some((b) => score >= b.min - margin && score <= b.max + margin)
  return near ? WITHIN_MARGIN : CLEARED
}

function anchorTime(s: AccountState, since: string | null): number | null {
  return since === null ? s.signupAt : (s.milestones[since] ?? null)
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`
const iso = (ms: number) => new Date(ms).toISOString()
