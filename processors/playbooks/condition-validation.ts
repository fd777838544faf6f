/**
 * Pure: a `when:` as written in a rules file → a Condition, or problems. Tier names are checked against the
 * scorecard in force and their score bands copied in, so a rule can never name a tier no score has.
 */
import { EVENT_FIELDS, type AccountEvent } from './account-state.js'
import type { Condition, TierBand } from './rules.js'
import { durationMs, isObject, onlyKeys, share, show, type Path, type Reporter } from './rules-problems.js'
import { SEGMENTS, type Segment, type Tier } from '../scoring/scorecard.js'

/** What conditions are checked against. */
export interface ConditionContext {
  /** The scorecard's tiers, best first. */
  tiers: Tier[]
}

const KINDS = ['score', 'churn', 'tier', 'renewal', 'seats', 'event', 'signedUp', 'milestone', 'featureUnused', 'segment'] as const
const DAY = 86_400_000
/** Default re-arm margins: wide enough that a value wobbling by a few points across a threshold stays one episode. */
export const DEFAULT_MARGINS = { score: 5, churn: 0.05, seats: 0.05 } as const
const MILESTONE = /^[a-z][a-z0-9_]*$/

export function parseCondition(raw: unknown, r: Reporter, keys: Path, ctx: ConditionContext, top = true): Condition | undefined {
  const kinds = `one of ${KINDS.join(', ')}${top ? ', or all: [conditions…]' : ''}`
  if (!isObject(raw) || Object.keys(raw).length !== 1) {
    return r.at(keys, `expected a condition: a mapping with exactly one key, ${kinds}${isObject(raw) && Object.keys(raw).length > 1 ? `; got ${Object.keys(raw).join(' and ')} (combine conditions with all:)` : `, got ${show(raw)}`}`)
  }
  const [kind, value] = Object.entries(raw)[0]
  const at = [...keys, kind]
  if (kind === 'all') {
    if (!top) return r.at(at, 'all: cannot be nested; list every condition in the one all:')
    if (!Array.isArray(value) || value.length < 2) return r.at(at, 'expected a list of at least two conditions')
    const parts = value.map((c, i) => parseCondition(c, r, [...at, i], ctx, false))
    return parts.every((p) => p !== undefined) ? { kind: 'all', conditions: parts as Condition[] } : undefined
  }
  switch (kind) {
    case 'score':
      return threshold(value, r, at, 'score', (v, k) => (typeof v === 'number' && v >= 0 && v <= 100 ? v : r.at(k, `expected a score 0–100, got ${show(v)}`)), DEFAULT_MARGINS.score)
    case 'churn':
      return threshold(value, r, at, 'churn', (v, k) => share(v, r, k), DEFAULT_MARGINS.churn)
    case 'tier':
      return tierCondition(value, r, at, ctx)
    case 'renewal': {
      if (!fields(value, ['within'], ['within'], r, at, 'renewal')) return undefined
      const ms = durationMs(value.within, r, [...at, 'within'], 'whole days such as 90d')
      if (ms === undefined) return undefined
      if (ms % DAY) return r.at([...at, 'within'], `expected whole days such as 90d (days to renewal are whole days), got ${show(value.within)}`)
      return { kind: 'renewal', withinDays: ms / DAY }
    }
    case 'seats': {
      if (!fields(value, ['overPurchasedBy'], ['overPurchasedBy', 'margin'], r, at, 'seats')) return undefined
      const overBy = share(value.overPurchasedBy, r, [...at, 'overPurchasedBy'], { max: Infinity })
      const margin = value.margin === undefined ? DEFAULT_MARGINS.seats : share(value.margin, r, [...at, 'margin'], { max: Infinity })
      if (overBy === undefined || margin === undefined) return undefined
      if (overBy === 0) return r.at([...at, 'overPurchasedBy'], 'expected more than 0%: seats active exceed purchased by this share')
      return { kind: 'seats', overBy, margin }
    }
    case 'event': {
      const events = Object.keys(EVENT_FIELDS)
      if (typeof value !== 'string' || !events.includes(value)) return r.at(at, `expected one of ${events.join(', ')}, got ${show(value)}`)
      return { kind: 'event', event: value as AccountEvent }
    }
    case 'signedUp': {
      if (!fields(value, ['within'], ['within'], r, at, 'signedUp')) return undefined
      const withinMs = durationMs(value.within, r, [...at, 'within'])
      return withinMs === undefined ? undefined : { kind: 'signed-up', withinMs }
    }
    case 'milestone':
      return milestoneCondition(value, r, at)
    case 'featureUnused': {
      if (!fields(value, ['for'], ['for', 'since', 'features'], r, at, 'featureUnused')) return undefined
      const forMs = durationMs(value.for, r, [...at, 'for'])
      const since = anchor(value.since, r, [...at, 'since'])
      let features: string[] | null = null
      if (value.features !== undefined) {
        if (!Array.isArray(value.features) || !value.features.length || !value.features.every((f) => typeof f === 'string' && f)) {
          return r.at([...at, 'features'], `expected a list of feature ids as feature_used.feature sends them (leave it out for the scorecard's key features), got ${show(value.features)}`)
        }
        features = value.features as string[]
      }
      if (forMs === undefined || since === undefined) return undefined
      return { kind: 'feature-unused', forMs, since, features }
    }
    case 'segment': {
      if (!fields(value, ['in'], ['in'], r, at, 'segment')) return undefined
      const list = Array.isArray(value.in) ? value.in : [value.in]
      const bad = list.filter((s) => !(SEGMENTS as readonly unknown[]).includes(s))
      if (!list.length || bad.length) return r.at([...at, 'in'], `expected segments among ${SEGMENTS.join(', ')}, got ${show(value.in)}`)
      return { kind: 'segment', segments: list as Segment[] }
    }
    default:
      return r.at(at, `unknown condition "${kind}"; a condition is ${kinds}`)
  }
}

function threshold(
  value: unknown, r: Reporter, at: Path, kind: 'score' | 'churn',
  read: (v: unknown, keys: Path) => number | undefined, defaultMargin: number,
): Condition | undefined {
  if (!isObject(value)) return r.at(at, `expected { below: N } or { above: N }, optionally with margin, got ${show(value)}`)
  if (!onlyKeys(value, ['below', 'above', 'margin'], r, at, kind)) return undefined
  const ops = (['below', 'above'] as const).filter((k) => k in value)
  if (ops.length !== 1) return r.at(at, `expected exactly one of below and above, got ${ops.length ? 'both' : 'neither'}`)
  const op = ops[0]
  const v = read(value[op], [...at, op])
  const margin = value.margin === undefined ? defaultMargin : read(value.margin, [...at, 'margin'])
  if (v === undefined || margin === undefined) return undefined
  return { kind, op, value: v, margin }
}

function tierCondition(value: unknown, r: Reporter, at: Path, ctx: ConditionContext): Condition | undefined {
  if (!isObject(value)) return r.at(at, `expected { in: [tiers] }, { enters: [tiers] } or { changes: down | up | any }, got ${show(value)}`)
  if (!onlyKeys(value, ['in', 'enters', 'changes', 'margin'], r, at, 'tier')) return undefined
  const forms = (['in', 'enters', 'changes'] as const).filter((k) => k in value)
  if (forms.length !== 1) return r.at(at, `expected exactly one of in, enters and changes, got ${forms.length ? forms.join(' and ') : 'none'}`)
  const form = forms[0]
  if (form === 'changes') {
    if ('margin' in value) return r.at([...at, 'margin'], 'a tier change is an edge and has no margin; quiet it with the rule\'s rearm.after')
    if (!['down', 'up', 'any'].includes(value.changes as string)) return r.at([...at, 'changes'], `expected down, up or any, got ${show(value.changes)}`)
    return { kind: 'tier-changes', direction: value.changes as 'down' | 'up' | 'any', order: ctx.tiers.map((t) => t.name) }
  }
  const known = ctx.tiers.map((t) => t.name)
  const written = Array.isArray(value[form]) ? (value[form] as unknown[]) : [value[form]]
  let ok = written.length > 0
  if (!written.length) r.at([...at, form], 'expected at least one tier')
  const names = written.map((n) => {
    const resolved = typeof n === 'string' ? tierByPosition(n, known) : undefined
    if (resolved?.error) {
      ok = false
      r.at([...at, form], resolved.error)
      return n
    }
    if (resolved?.name) return resolved.name
    if (typeof n === 'string' && known.includes(n)) return n
    ok = false
    r.at([...at, form], `${show(n)} is not a tier of the scorecard (${known.join(', ')}); a tier may also be named by position, as $lowest, $lowest+1 or $highest`)
    return n
  })
  if (ok && names.length === known.length) return r.at([...at, form], `names every tier of the scorecard, so it always holds`)
  const margin = value.margin === undefined ? DEFAULT_MARGINS.score : typeof value.margin === 'number' && value.margin >= 0 ? value.margin : r.at([...at, 'margin'], `expected score points ≥ 0, got ${show(value.margin)}`)
  if (!ok || margin === undefined) return undefined
  const tiers = names as string[]
  const bands: TierBand[] = ctx.tiers.filter((t) => tiers.includes(t.name)).map(({ name, min, max }) => ({ name, min, max }))
  return { kind: form === 'in' ? 'tier-in' : 'tier-enters', tiers, margin, bands }
}

/**
 * `$lowest`, `$lowest+N`, `$highest`, `$highest-N`: a tier by its position among the scorecard's tiers, so a
 * rules file (the shipped defaults above all) works with any scorecard's tier names — "the lowest tier" is
 * Critical with one scorecard and Red with another. Undefined when `text` is not a position.
 */
function tierByPosition(text: string, known: string[]): { name?: string; error?: string } | undefined {
  const m = /^\$(lowest|highest)(?:([+-])(\d+))?$/.exec(text)
  if (!m) return text.startsWith('$') ? { error: `${show(text)} is not a tier position: expected $lowest, $lowest+N, $highest or $highest-N` } : undefined
  const [, end, sign, n] = m
  const steps = n === undefined ? 0 : Number(n)
  if ((end === 'lowest' && sign === '-') || (end === 'highest' && sign === '+')) return { error: `${show(text)} points outside the scorecard's tiers: count up from $lowest, down from $highest` }
  // Tiers are best first: the highest is the first, the lowest the last.
  const index = end === 'highest' ? steps : known.length - 1 - steps
  if (index < 0 || index >= known.length) return { error: `${show(text)} is past the scorecard's ${known.length} tiers (${known.join(', ')})` }
  return { name: known[index] }
}

function milestoneCondition(value: unknown, r: Reporter, at: Path): Condition | undefined {
  if (!isObject(value) || !('reached' in value || 'notReached' in value)) {
    return r.at(at, `expected { reached: milestone } or { notReached: milestone, after: 14d }, got ${show(value)}`)
  }
  if ('reached' in value) {
    if (!onlyKeys(value, ['reached'], r, at, 'milestone: { reached }')) return undefined
    return milestoneId(value.reached, r, [...at, 'reached']) ? { kind: 'milestone-reached', milestone: value.reached as string } : undefined
  }
  if (!onlyKeys(value, ['notReached', 'after', 'since'], r, at, 'milestone: { notReached }')) return undefined
  const ok = milestoneId(value.notReached, r, [...at, 'notReached'])
  const afterMs = value.after === undefined ? r.at(at, 'notReached needs after: how long after signup (or since) it is late, e.g. 14d') : durationMs(value.after, r, [...at, 'after'])
  const since = anchor(value.since, r, [...at, 'since'])
  if (!ok || afterMs === undefined || since === undefined) return undefined
  return { kind: 'milestone-missing', milestone: value.notReached as string, afterMs, since }
}

function milestoneId(raw: unknown, r: Reporter, keys: Path): boolean {
  if (typeof raw === 'string' && MILESTONE.test(raw)) return true
  r.at(keys, `expected a milestone id as onboarding_milestone_reached.milestoneId sends it (lower snake case), got ${show(raw)}`)
  return false
}

/** `signup` (or nothing) → null; a milestone id → itself. */
function anchor(raw: unknown, r: Reporter, keys: Path): string | null | undefined {
  if (raw === undefined || raw === 'signup') return null
  if (typeof raw === 'string' && MILESTONE.test(raw)) return raw
  return r.at(keys, `expected signup or a milestone id, got ${show(raw)}`)
}

/** A mapping with the `required` keys and no others than `allowed`. */
function fields(value: unknown, required: string[], allowed: string[], r: Reporter, at: Path, kind: string): value is Record<string, unknown> {
  if (!isObject(value)) {
    r.at(at, `expected a mapping with ${required.join(', ')}, got ${show(value)}`)
    return false
  }
  if (!onlyKeys(value, allowed, r, at, kind)) return false
  const missing = required.filter((k) => !(k in value))
  if (missing.length) r.at(at, `missing ${missing.join(', ')}`)
  return missing.length === 0
}
