/**
 * Pure: a scorecard compiled to ClickHouse SQL, for bench/sweep-in-engine.ts — the prototype of a sweep that
 * scores every account inside the engine, which issue 8's "within 3× of a bare scan" would need. Not Pulse's
 * scoring path: it is a second implementation of `score.ts`'s `scoreOnly` (the same plan — segment weights,
 * groups, re-normalization over the components with data, coverage, minimum coverage — written so that the
 * engine performs the same IEEE operations in the same order), kept so the prototype's figures are those of
 * Pulse's exact scorecard: `test/integration/scorecard-sql.test.ts` holds the two equal, to the bit, on random
 * accounts for every preset. A change to score.ts fails that test until it is made here too.
 *
 * Hand-written rather than a library's: nothing translates a points scorecard to SQL.
 */
import { measureNamed } from '../../../processors/scoring/measures.js'
import { applyWeights, isGroup, leavesOf, maxRulePoints, type Component, type Rule, type Scorecard, type Segment, type Tier } from '../../../processors/scoring/scorecard.js'

/**
 * Settings for a query that evaluates this SQL. With short-circuit evaluation, each `if` evaluates its
 * branch's subexpressions again under its own mask instead of once per row: a sweep's measures and scores
 * took 1.0-2.2 s over 50,000 accounts, 0.3-0.5 s without (every division here is on floats, so evaluating
 * a branch whose condition is false raises nothing).
 */
export const SCORECARD_SQL_SETTINGS = { short_circuit_function_evaluation: 'disable' } as const

export interface ScorecardSqlInput {
  /**
   * The SQL expression of a measure's value for the account of the row: Nullable(Float64) for a number
   * measure, Nullable(String) for a category; NULL where the account has no data.
   */
  measure(name: string): string
  /** The SQL expression of the account's segment (a Segment, or any other string for none). */
  segment: string
}

/**
 * SQL of `scoreOnly`'s result for the row's account: the four expressions read aliases selected before
 * them. Each shared part (which leaves have data, each leaf's fraction, each segment's totals) is an alias
 * computed once per row: written out inline the same scorecard was 80 KB of SQL and took the engine ten
 * times longer. The aliases come in stages, to be selected one subquery per stage (`stagedSql`): as one
 * SELECT whose aliases read each other, the engine took 0.3-0.5 s analysing the query before reading a row;
 * nested, 0.15 s (docs/BENCHMARKS.md, 2026-12-06, third session).
 */
export interface ScorecardSql {
  /** `expression AS name` (every name starting `sc_`) by stage: a stage reads the measures, the segment and earlier stages. */
  stages: string[][]
  /** 'OK' or 'INSUFFICIENT_DATA'. */
  status: string
  /** The raw score, 0–100 unrounded (Nullable(Float64): NULL when INSUFFICIENT_DATA). */
  score: string
  /** Share of the scorecard's weight backed by data (Float64). */
  coverage: string
  /** The paths of the components without data (Array(String)). */
  missing: string
}

export function scorecardSql(card: Scorecard, input: ScorecardSqlInput): ScorecardSql {
  const leaves = leavesOf(card.components)
  const stages: string[][] = []
  const stageOf = new Map<string, number>()
  // An alias's stage is one after the latest stage of the aliases its SQL reads (the measures are stage 0).
  const alias = (name: string, sql: string) => {
    const stage = 1 + Math.max(0, ...[...sql.matchAll(/\bsc_\w+/g)].map(([n]) => stageOf.get(n) ?? 0))
    stageOf.set(name, stage)
    ;(stages[stage - 1] ??= []).push(`${sql} AS ${name}`)
    return name
  }
  // Per leaf, in declaration order: whether it has data, and its fraction (read only where it has).
  const present = leaves.map(({ leaf }, i) => alias(`sc_present_${i}`, `isNotNull(${measureOf(input, leaf.measure)})`))
  const fraction = leaves.map(({ leaf }, i) => alias(`sc_fraction_${i}`, fractionSql(leaf.rule, measureOf(input, leaf.measure))))
  const segments = (Object.keys(card.segments) as Segment[]).filter((s) => card.segments[s])
  const plans = segments.map((segment, k) => ({ segment, plan: planSql(applyWeights(card.components, card.segments[segment]!), present, fraction, `sc_${k}`, alias) }))
  const fallback = planSql(card.components, present, fraction, 'sc_all', alias)
  const bySegment = (pick: (p: PlanSql) => string) =>
    plans.length ? `multiIf(${plans.map(({ segment, plan }) => `${input.segment} = ${quote(segment)}, ${pick(plan)}`).join(', ')}, ${pick(fallback)})` : pick(fallback)
  const coverage = alias('sc_coverage', bySegment((p) => p.coverage))
  const raw = alias('sc_raw', bySegment((p) => p.raw))
  // finish(): coverage compared with a tolerance, as weights such as 0.35 + 0.25 do not add up exactly.
  const insufficient = alias('sc_insufficient', `(${coverage} + ${literal(1e-9)} < ${literal(card.minimumCoverage)} OR ${coverage} = 0)`)
  return {
    stages,
    status: `if(${insufficient}, 'INSUFFICIENT_DATA', 'OK')`,
    score: `if(${insufficient}, NULL, least(100., greatest(0., ${raw})))`,
    coverage,
    missing: `arrayFilter(x -> x != '', [${leaves.map(({ path }, i) => `if(${present[i]}, '', ${quote(path)})`).join(', ')}])`,
  }
}

/**
 * `from` (a query selecting the measures and the segment) with the scorecard's aliases added to its columns,
 * one subquery per stage.
 */
export function stagedSql(from: string, card: ScorecardSql): string {
  return card.stages.reduce((inner, stage) => `SELECT *, ${stage.join(',\n  ')} FROM (${inner})`, from)
}

/** The tier of a score, as `tierOf` bands it: rounded first (half up, as JavaScript's Math.round), then banded. */
export function tierSql(tiers: Tier[], score: string): string {
  const s = roundSql(score)
  return `multiIf(${tiers.map((t) => `${s} >= ${literal(t.min)} AND ${s} <= ${literal(t.max)}, ${quote(t.name)}`).join(', ')}, ${quote(tiers.at(-1)!.name)})`
}

/**
 * JavaScript's Math.round (ties towards +∞). ClickHouse's round() takes ties to even on floats, and
 * floor(x + 0.5) is off for the double just below 0.5; x − floor(x) is exact, so this is not.
 */
export function roundSql(x: string): string {
  return `if(${x} - floor(${x}) >= 0.5, ceil(${x}), floor(${x}))`
}

interface PlanSql {
  raw: string
  coverage: string
}

/**
 * One segment's plan: each leaf's share among the leaves with data is its group's weight over the total of the
 * groups with data, times its weight over its group's present weight (score.ts' leafShares; a leaf outside a
 * group is a group of one). Sums start at 0 and add in declaration order, as the reductions in score.ts do,
 * and an absent leaf adds 0, which changes no double.
 */
function planSql(components: Component[], present: string[], fraction: string[], prefix: string, alias: (name: string, sql: string) => string): PlanSql {
  let index = 0
  const groups = components.map((c) => ({ c, leaves: (isGroup(c) ? c.components : [c]).map((leaf) => ({ leaf, i: index++ })) }))
  const sum = (terms: string[]) => `(0 + ${terms.join(' + ')})`
  const total = alias(`${prefix}_total`, sum(groups.map(({ c, leaves }) => `if(${leaves.map(({ i }) => present[i]).join(' OR ')}, ${literal(c.weight)}, 0)`)))
  // Every leaf with data: the configured shares, against which coverage adds up.
  const allTotal = groups.reduce((s, g) => s + g.c.weight, 0)
  const terms: string[] = []
  const covered: string[] = []
  groups.forEach(({ c, leaves }, g) => {
    const inGroup = alias(`${prefix}_group_${g}`, sum(leaves.map(({ leaf, i }) => `if(${present[i]}, ${literal(leaf.weight)}, 0)`)))
    const allInGroup = leaves.reduce((s, { leaf }) => s + leaf.weight, 0)
    for (const { leaf, i } of leaves) {
      const share = `if(${total} != 0 AND ${inGroup} != 0, (${literal(c.weight)} / ${total}) * (${literal(leaf.weight)} / ${inGroup}), 0)`
      terms.push(`if(${present[i]}, ${fraction[i]} * (100 * ${share}), 0)`)
      const nominal = allTotal && allInGroup ? (c.weight / allTotal) * (leaf.weight / allInGroup) : 0
      covered.push(`if(${present[i]}, ${literal(nominal)}, 0)`)
    }
  })
  return { raw: alias(`${prefix}_raw`, sum(terms)), coverage: alias(`${prefix}_coverage`, sum(covered)) }
}

/** `ruleFraction`: the share of the rule's maximum a (present) value earns; constants divided here, as there. */
function fractionSql(rule: Rule, m: string): string {
  const max = maxRulePoints(rule)
  // Validation gives every category its points, so there is always a case.
  if (rule.kind === 'categories') return `multiIf(${Object.entries(rule.points).map(([k, p]) => `assumeNotNull(${m}) = ${quote(k)}, ${literal(p / max)}`).join(', ')}, ${literal(0 / max)})`
  const v = `assumeNotNull(${m})`
  if (rule.kind === 'linear') return `least(1., greatest(0., (${v} - ${literal(rule.from)}) / ${literal(rule.to - rule.from)}))`
  // bandOf: the last band (in declaration order) whose minimum the value reaches, else the first.
  const bands = [...rule.bands].reverse()
  return `multiIf(${bands.map((b) => `${v} >= ${literal(b.min)}, ${literal(b.points / max)}`).join(', ')}, ${literal(rule.bands[0].points / max)})`
}

function measureOf(input: ScorecardSqlInput, measure: string): string {
  if (!measureNamed(measure)) throw new Error(`unknown measure "${measure}"`)
  return input.measure(measure)
}

/**
 * A number as a Float64 constant holding JavaScript's double exactly: integers as they are, any other by its
 * bits, as the engine's fast float parsing (precise_float_parsing off) may miss the last bit of a decimal.
 */
function literal(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write ${x} as a ClickHouse constant`)
  if (Number.isSafeInteger(x)) return `toFloat64(${x})`
  const bits = new DataView(new ArrayBuffer(8))
  bits.setFloat64(0, x)
  return `reinterpretAsFloat64(toUInt64(${bits.getBigUint64(0)}))`
}

/** A string as a ClickHouse string literal (names from the scorecard and the measure list, never input). */
export const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
