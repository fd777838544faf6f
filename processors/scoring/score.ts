/**
 * Pure: measures → points → score. A component whose measure has no data is left out and the weights of
 * the others re-normalized (within its group, then across groups); the score says how much of the
 * scorecard's weight was backed by data, and below the scorecard's minimum it is INSUFFICIENT_DATA with
 * the missing components named, never a number that looks like a dying customer.
 */
import type { MeasureValue, MeasureValues } from './measures.js'
import { applyWeights, isGroup, maxRulePoints, type Band, type LeafComponent, type Rule, type Scorecard, type Segment, type Tier } from './scorecard.js'

export interface ComponentScore {
  /** Path in the scorecard: `usage`, or `product.adoption` inside a group. */
  name: string
  measure: string
  /** null: no data. */
  value: MeasureValue | null
  /** The band or category the value fell in, for explanations. */
  label: string | null
  /** Points earned on the 0–100 scale of the score (they add up to the raw score); null without data. */
  points: number | null
  /** The most this component can give, after re-normalization (0 when it has no data). */
  maxPoints: number
  /** Configured share of the whole score (0–1), before re-normalization: what coverage adds up. */
  weight: number
  /** Share of its own maximum earned (0–1); null without data. */
  fraction: number | null
}

export type ScoreStatus = 'OK' | 'INSUFFICIENT_DATA'

export interface RawScore {
  status: ScoreStatus
  /** 0–100 unrounded; null when INSUFFICIENT_DATA. */
  score: number | null
  /** Share of the scorecard's weight backed by data, 0–1. */
  coverage: number
  /** Components without data. */
  missing: string[]
  components: ComponentScore[]
}

/** Where a value falls under a rule: its share of the rule's maximum and the band or category name. */
export function applyRule(rule: Rule, value: MeasureValue): { fraction: number; label: string } {
  if (rule.kind === 'categories') {
    const points = rule.points[String(value)]
    return { fraction: (points ?? 0) / maxRulePoints(rule), label: String(value) }
  }
  const v = Number(value)
  if (rule.kind === 'linear') {
    const f = (v - rule.from) / (rule.to - rule.from)
    return { fraction: Math.min(1, Math.max(0, f)), label: `linear ${rule.from}→${rule.to}` }
  }
  const band = bandOf(rule.bands, v)
  return { fraction: band.points / maxRulePoints(rule), label: band.label }
}

/** Validated bands cover every value from the measure's minimum; below it the lowest band applies. */
export function bandOf(bands: Band[], v: number): Band {
  let found = bands[0]
  for (const b of bands) if (v >= b.min) found = b
  return found
}

export function computeScore(card: Scorecard, values: MeasureValues, segment: Segment | null = null): RawScore {
  const components = segment && card.segments[segment] ? applyWeights(card.components, card.segments[segment]!) : card.components
  const total = components.reduce((s, c) => s + c.weight, 0)
  const leaves: { name: string; leaf: LeafComponent; nominal: number }[] = []
  for (const c of components) {
    if (!isGroup(c)) {
      leaves.push({ name: c.name, leaf: c, nominal: c.weight / total })
      continue
    }
    const inGroup = c.components.reduce((s, l) => s + l.weight, 0)
    for (const l of c.components) leaves.push({ name: `${c.name}.${l.name}`, leaf: l, nominal: inGroup ? ((c.weight / total) * l.weight) / inGroup : 0 })
  }
  const has = (l: LeafComponent) => values[l.measure] !== null && values[l.measure] !== undefined

  // Effective weight: re-normalized within the group among leaves with data, then across groups with data.
  const effective = new Map<string, number>()
  let available = 0
  const groups = components.map((c) => {
    if (!isGroup(c)) return { c, weight: has(c) ? c.weight : 0 }
    return { c, weight: c.components.some(has) ? c.weight : 0 }
  })
  for (const g of groups) available += g.weight
  for (const { c, weight } of groups) {
    if (!isGroup(c)) {
      effective.set(c.name, available ? weight / available : 0)
      continue
    }
    const inGroup = c.components.filter(has).reduce((s, l) => s + l.weight, 0)
    for (const l of c.components) effective.set(`${c.name}.${l.name}`, available && inGroup && has(l) ? ((weight / available) * l.weight) / inGroup : 0)
  }

  const scored: ComponentScore[] = leaves.map(({ name, leaf, nominal }) => {
    const value = values[leaf.measure] ?? null
    const maxPoints = 100 * effective.get(name)!
    if (value === null) return { name, measure: leaf.measure, value, label: null, points: null, maxPoints: 0, weight: nominal, fraction: null }
    const { fraction, label } = applyRule(leaf.rule, value)
    return { name, measure: leaf.measure, value, label, points: fraction * maxPoints, maxPoints, weight: nominal, fraction }
  })
  const coverage = scored.reduce((s, c) => s + (c.value === null ? 0 : c.weight), 0)
  const missing = scored.filter((c) => c.value === null).map((c) => c.name)
  // Compare with a tolerance: weights such as 0.35 + 0.25 do not add up exactly in binary.
  if (coverage + 1e-9 < card.minimumCoverage || coverage === 0) return { status: 'INSUFFICIENT_DATA', score: null, coverage, missing, components: scored }
  const score = scored.reduce((s, c) => s + (c.points ?? 0), 0)
  return { status: 'OK', score: Math.min(100, Math.max(0, score)), coverage, missing, components: scored }
}

/** The tier of a whole score; scores are rounded before banding, so 79.5 is 80. */
export function tierOf(tiers: Tier[], score: number): Tier {
  const s = Math.round(score)
  return tiers.find((t) => s >= t.min && s <= t.max) ?? tiers.at(-1)!
}
