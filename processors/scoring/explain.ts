/**
 * Pure: why a score is what it is — the components pulling it down most, and what single change would lift
 * the account into the next tier ("3 of 10 seats active (30 %); 6 more active users → Stable").
 */
import { measureNamed, type MeasureValues } from './measures.js'
import { leavesOf, maxRulePoints, type Rule, type Scorecard, type Segment, type Tier } from './scorecard.js'
import { computeScore, tierOf, type ComponentScore, type RawScore } from './score.js'

export interface Driver {
  component: string
  measure: string
  /** The measure's value in words: "active on 3 of the last 30 days". */
  value: string
  points: number
  maxPoints: number
  /** Points this component leaves on the table (maxPoints − points). */
  lost: number
  text: string
}

export interface TierAction {
  component: string
  measure: string
  from: string
  /** The measure's value needed, as a number or a category. */
  to: string
  text: string
}

export interface NextTier {
  tier: string
  /** Points the raw score needs to reach the tier's lower bound. */
  pointsNeeded: number
  /** Each of these alone would do it (biggest levers first); empty when no single component can. */
  actions: TierAction[]
}

export function driversOf(components: ComponentScore[], values: MeasureValues, limit = 3): Driver[] {
  return components
    .filter((c): c is ComponentScore & { points: number } => c.points !== null && c.maxPoints - c.points > 0.05)
    .map((c) => {
      const m = measureNamed(c.measure)!
      const value = m.format(c.value!, values)
      const lost = c.maxPoints - c.points
      return { component: c.name, measure: c.measure, value, points: round1(c.points), maxPoints: round1(c.maxPoints), lost: round1(lost), text: `${c.name}: ${value} — ${round1(c.points)} of ${round1(c.maxPoints)} points` }
    })
    .sort((a, b) => b.lost - a.lost)
    .slice(0, limit)
}

/** The tier above `current` and the single component changes that would reach it; null at the top tier. */
export function nextTierOf(card: Scorecard, result: RawScore, values: MeasureValues, current: Tier): NextTier | null {
  const i = card.tiers.findIndex((t) => t.name === current.name)
  if (i <= 0 || result.score === null) return null
  const target = card.tiers[i - 1]
  // Whole scores are banded after rounding: reaching min − 0.5 is enough.
  const needed = Math.max(0, target.min - 0.5 - result.score)
  const rules = rulesOf(card)
  const actions: TierAction[] = []
  const byLever = [...result.components].filter((c) => c.fraction !== null && c.maxPoints > 0).sort((a, b) => b.maxPoints - a.maxPoints)
  for (const c of byLever) {
    const fractionNeeded = c.fraction! + needed / c.maxPoints
    if (fractionNeeded > 1 + 1e-9) continue
    const to = valueReaching(rules.get(c.name)!, c.value!, fractionNeeded)
    if (to === undefined) continue
    const m = measureNamed(c.measure)!
    const from = m.format(c.value!, values)
    // A category reads in the measure's own words ("support experience neutral"); a number as the change needed.
    const change = typeof to === 'string' ? m.format(to, values) : m.change ? m.change(Number(c.value), to, values) : `${c.measure} to ${round1(to)}`
    actions.push({ component: c.name, measure: c.measure, from, to: String(typeof to === 'number' ? round1(to) : to), text: `${from}; ${change} → ${target.name}` })
  }
  return { tier: target.name, pointsNeeded: round1(needed), actions: actions.slice(0, 3) }
}

const rulesByCard = new WeakMap<Scorecard, Map<string, Rule>>()
/** Each leaf's rule by path, worked out once per scorecard rather than for every account a sweep explains. */
function rulesOf(card: Scorecard): Map<string, Rule> {
  let rules = rulesByCard.get(card)
  if (!rules) rulesByCard.set(card, (rules = new Map(leavesOf(card.components).map(({ path, leaf }) => [path, leaf.rule]))))
  return rules
}

/** The value nearest the current one at which the rule gives at least `fraction` of its maximum. */
function valueReaching(rule: Rule, current: number | string, fraction: number): number | string | undefined {
  const max = maxRulePoints(rule)
  if (rule.kind === 'categories') {
    const ok = Object.entries(rule.points).filter(([, p]) => p / max >= fraction - 1e-9).sort((a, b) => a[1] - b[1])
    return ok[0]?.[0]
  }
  if (rule.kind === 'linear') return rule.from + Math.min(1, fraction) * (rule.to - rule.from)
  const v = Number(current)
  let best: number | undefined
  for (const b of rule.bands) {
    if (b.points / max < fraction - 1e-9) continue
    // Above the current value the band starts at its min; below it, values just under its max reach it.
    const candidate = b.min > v ? b.min : b.max !== undefined && b.max <= v ? (Number.isInteger(b.max) && Number.isInteger(v) ? b.max - 1 : b.max) : v
    if (best === undefined || Math.abs(candidate - v) < Math.abs(best - v)) best = candidate
  }
  return best
}

const round1 = (x: number) => Math.round(x * 10) / 10

/**
 * The explanation of a stored score, rebuilt from the measures it was computed from and its scorecard: the
 * scoring is pure, so the same inputs give the same components, drivers and way to the next tier.
 */
export function explainScore(card: Scorecard, values: MeasureValues, segment: Segment | null, published: number | null) {
  const raw = computeScore(card, values, segment)
  const tier = published === null ? null : tierOf(card.tiers, published)
  return { components: raw.components, drivers: driversOf(raw.components, values), nextTier: tier ? nextTierOf(card, raw, values, tier) : null }
}
