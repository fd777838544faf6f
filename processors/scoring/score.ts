/**
 * Pure: measures → points → score. A component whose measure has no data is left out and the weights of
 * the others re-normalized (within its group, then across groups); the score says how much of the
 * scorecard's weight was backed by data, and below the scorecard's minimum it is INSUFFICIENT_DATA with
 * the missing components named, never a number that looks like a dying customer.
 */
import type { MeasureValue, MeasureValues } from './measures.js'
import { applyWeights, isGroup, leavesOf, maxRulePoints, type Band, type Component, type LeafComponent, type Rule, type Scorecard, type Segment, type Tier } from './scorecard.js'

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
  const plan = planOf(card, segment)
  const has = (l: LeafComponent) => values[l.measure] !== null && values[l.measure] !== undefined
  const effective = plan.sharesWhen(plan.leaves.map(({ leaf }) => has(leaf)))
  const scored: ComponentScore[] = plan.leaves.map(({ path: name, leaf }, i) => {
    const value = values[leaf.measure] ?? null
    const weight = plan.nominal[i]
    if (value === null) return { name, measure: leaf.measure, value, label: null, points: null, maxPoints: 0, weight, fraction: null }
    const maxPoints = 100 * effective[i]
    const { fraction, label } = applyRule(leaf.rule, value)
    return { name, measure: leaf.measure, value, label, points: fraction * maxPoints, maxPoints, weight, fraction }
  })
  const coverage = scored.reduce((s, c) => s + (c.value === null ? 0 : c.weight), 0)
  const missing = scored.filter((c) => c.value === null).map((c) => c.name)
  // Compare with a tolerance: weights such as 0.35 + 0.25 do not add up exactly in binary.
  if (coverage + 1e-9 < card.minimumCoverage || coverage === 0) return { status: 'INSUFFICIENT_DATA', score: null, coverage, missing, components: scored }
  const score = scored.reduce((s, c) => s + (c.points ?? 0), 0)
  return { status: 'OK', score: Math.min(100, Math.max(0, score)), coverage, missing, components: scored }
}

interface ScoringPlan {
  leaves: { path: string; leaf: LeafComponent }[]
  /** Configured share of each leaf, in `leaves` order. */
  nominal: number[]
  /** Re-normalized shares when only the leaves flagged true have data. */
  sharesWhen(present: boolean[]): number[]
}

// A sweep scores tens of thousands of accounts with one scorecard, and accounts share a handful of segments
// and data-availability patterns: the weights of each are worked out once per scorecard, not per account.
const plans = new WeakMap<Scorecard, Map<Segment | null, ScoringPlan>>()

function planOf(card: Scorecard, segment: Segment | null): ScoringPlan {
  const key = segment && card.segments[segment] ? segment : null
  let bySegment = plans.get(card)
  if (!bySegment) plans.set(card, (bySegment = new Map()))
  let plan = bySegment.get(key)
  if (!plan) {
    const components = key ? applyWeights(card.components, card.segments[key]!) : card.components
    const leaves = leavesOf(components)
    const sharesOf = (present: Set<LeafComponent>) => {
      const shares = leafShares(components, (l) => present.has(l))
      return leaves.map(({ path }) => shares.get(path) ?? 0)
    }
    const byPattern = new Map<string, number[]>()
    plan = {
      leaves,
      nominal: sharesOf(new Set(leaves.map((l) => l.leaf))),
      sharesWhen(present) {
        const pattern = present.map((p) => (p ? '1' : '0')).join('')
        let shares = byPattern.get(pattern)
        if (!shares) byPattern.set(pattern, (shares = sharesOf(new Set(leaves.filter((_, i) => present[i]).map((l) => l.leaf)))))
        return shares
      },
    }
    bySegment.set(key, plan)
  }
  return plan
}

/**
 * Each leaf's share of the whole score among the leaves `counts` keeps: its group's share among the groups
 * with such leaves, times its share within the group (a leaf outside a group is a group of one). With every
 * leaf counted these are the configured weights; with only leaves backed by data, the re-normalized ones.
 */
function leafShares(components: Component[], counts: (l: LeafComponent) => boolean): Map<string, number> {
  const members = components.map((c) => ({ c, leaves: (isGroup(c) ? c.components : [c]).filter(counts) }))
  const total = members.reduce((s, m) => s + (m.leaves.length ? m.c.weight : 0), 0)
  const shares = new Map<string, number>()
  for (const { c, leaves } of members) {
    const inGroup = leaves.reduce((s, l) => s + l.weight, 0)
    for (const l of leaves) shares.set(isGroup(c) ? `${c.name}.${l.name}` : c.name, total && inGroup ? (c.weight / total) * (l.weight / inGroup) : 0)
  }
  return shares
}

/** The tier of a whole score; scores are rounded before banding, so 79.5 is 80. */
export function tierOf(tiers: Tier[], score: number): Tier {
  const s = Math.round(score)
  return tiers.find((t) => s >= t.min && s <= t.max) ?? tiers.at(-1)!
}
