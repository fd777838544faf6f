/**
 * Pure: measures → points → score. A component whose measure has no data is left out and the weights of
 * the others re-normalized (within its group, then across groups); the score says how much of the
 * scorecard's weight was backed by data, and below the scorecard's minimum it is INSUFFICIENT_DATA with
 * the missing components named, never a number that looks like a dying customer.
 */
import type { MeasureValue, MeasureValues } from './measures.js'
import { applyWeights, isGroup, leavesOf, MAX_LEAVES, maxRulePoints, type Band, type Component, type LeafComponent, type Rule, type Scorecard, type Segment, type Tier } from './scorecard.js'

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
  if (rule.kind === 'categories') return { fraction: ruleFraction(rule, value), label: String(value) }
  if (rule.kind === 'linear') return { fraction: ruleFraction(rule, value), label: `linear ${rule.from}→${rule.to}` }
  const band = bandOf(rule.bands, Number(value))
  return { fraction: band.points / maxRulePoints(rule), label: band.label }
}

/** `applyRule`'s fraction alone, without building a label: what a sweep needs for every account. */
function ruleFraction(rule: Rule, value: MeasureValue, max = maxRulePoints(rule)): number {
  if (rule.kind === 'categories') return (rule.points[String(value)] ?? 0) / max
  const v = Number(value)
  if (rule.kind === 'linear') return Math.min(1, Math.max(0, (v - rule.from) / (rule.to - rule.from)))
  return bandOf(rule.bands, v).points / max
}

/** Validated bands cover every value from the measure's minimum; below it the lowest band applies. */
export function bandOf(bands: Band[], v: number): Band {
  let found = bands[0]
  for (const b of bands) if (v >= b.min) found = b
  return found
}

export function computeScore(card: Scorecard, values: MeasureValues, segment: Segment | null = null): RawScore {
  const plan = planOf(card, segment)
  const effective = plan.sharesWhen(presenceOf(plan, values))
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
  return { ...finish(card, coverage, missing, scored.reduce((s, c) => s + (c.points ?? 0), 0)), components: scored }
}

/**
 * `computeScore` without each component's explanation (status, score, coverage, missing): what a sweep needs
 * for every one of tens of thousands of accounts, without ten objects per account for the garbage collector.
 * The components of the few whose score is published are derived by `computeScore` (the same plan and rules).
 */
export function scoreOnly(card: Scorecard, values: MeasureValues, segment: Segment | null = null): Omit<RawScore, 'components'> {
  const plan = planOf(card, segment)
  const effective = plan.sharesWhen(presenceOf(plan, values))
  let coverage = 0
  let score = 0
  const missing: string[] = []
  for (let i = 0; i < plan.leaves.length; i++) {
    const { path, leaf } = plan.leaves[i]
    const value = values[leaf.measure] ?? null
    if (value === null) {
      missing.push(path)
      continue
    }
    coverage += plan.nominal[i]
    score += ruleFraction(leaf.rule, value, plan.maxRulePoints[i]) * (100 * effective[i])
  }
  return finish(card, coverage, missing, score)
}

function finish(card: Scorecard, coverage: number, missing: string[], score: number): Omit<RawScore, 'components'> {
  // Compare with a tolerance: weights such as 0.35 + 0.25 do not add up exactly in binary.
  if (coverage + 1e-9 < card.minimumCoverage || coverage === 0) return { status: 'INSUFFICIENT_DATA', score: null, coverage, missing }
  return { status: 'OK', score: Math.min(100, Math.max(0, score)), coverage, missing }
}

/** Which leaves have data, one bit each (a scorecard has at most 30 leaves; validated in scorecard.ts). */
function presenceOf(plan: ScoringPlan, values: MeasureValues): number {
  let present = 0
  for (let i = 0; i < plan.leaves.length; i++) {
    const v = values[plan.leaves[i].leaf.measure]
    if (v !== null && v !== undefined) present |= 1 << i
  }
  return present
}

interface ScoringPlan {
  leaves: { path: string; leaf: LeafComponent }[]
  /** Configured share of each leaf, in `leaves` order. */
  nominal: number[]
  /** Each leaf's rule's maximum, in `leaves` order. */
  maxRulePoints: number[]
  /** Re-normalized shares when only the leaves whose bit is set in `present` have data. */
  sharesWhen(present: number): number[]
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
    if (leaves.length > MAX_LEAVES) throw new Error(`scorecard "${card.name}" has ${leaves.length} components; at most ${MAX_LEAVES} are supported`)
    const sharesOf = (present: Set<LeafComponent>) => {
      const shares = leafShares(components, (l) => present.has(l))
      return leaves.map(({ path }) => shares.get(path) ?? 0)
    }
    const byPattern = new Map<number, number[]>()
    plan = {
      leaves,
      nominal: sharesOf(new Set(leaves.map((l) => l.leaf))),
      maxRulePoints: leaves.map(({ leaf }) => maxRulePoints(leaf.rule)),
      sharesWhen(present) {
        let shares = byPattern.get(present)
        if (!shares) byPattern.set(present, (shares = sharesOf(new Set(leaves.filter((_, i) => present & (1 << i)).map((l) => l.leaf)))))
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
