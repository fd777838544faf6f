/**
 * Pure: what the churn history says about the running scorecard — how predictive each component is on its
 * own, what weights the history suggests, and how the scorecard with those weights would have done against
 * the current one on the same held-out accounts and weeks as the churn backtest.
 *
 * Suggested weights come from a logistic regression of churn on each component's shortfall (1 − the share
 * of its points earned), penalized and cross-validated like the churn model; a component whose shortfall
 * does not raise churn gets weight 0. Weights are for the flattened scorecard (each leaf's share of 100).
 */
import { calibrate, fitPlatt } from './calibration.js'
import { fitLogisticRegression } from './logistic-regression.js'
import { auc, aucInterval, brier } from './metrics.js'
import type { TrainingRow } from './train.js'

export interface ComponentSuggestion {
  name: string
  measure: string
  /** The component's configured share of the score, in % (segment overrides aside). */
  currentWeight: number
  suggestedWeight: number
  /** AUC of the component alone (its shortfall as the risk) on the training rows where it has data; null without both outcomes. */
  auc: number | null
  /** Share of training rows where the component has data. */
  coverage: number
}

export interface ScorecardBacktest {
  auc: number
  aucLow: number
  aucHigh: number
  brier: number
}

export interface ScorecardSuggestion {
  components: ComponentSuggestion[]
  current: ScorecardBacktest | null
  suggested: ScorecardBacktest | null
  /** Rows (account snapshots) the weights were fitted on and judged on. */
  rows: { train: number; test: number }
}

export interface ComponentInfo {
  name: string
  measure: string
  /** Configured share of the whole score, 0–1. */
  weight: number
}

/** A score from component fractions (NaN = no data) with weights, re-normalized over the components with data, as the scorecard does. */
export function weightedScore(fractions: ArrayLike<number>, weights: number[]): number | null {
  let earned = 0
  let total = 0
  for (let j = 0; j < weights.length; j++) {
    if (!Number.isFinite(fractions[j]) || weights[j] <= 0) continue
    earned += weights[j] * fractions[j]
    total += weights[j]
  }
  return total > 0 ? (100 * earned) / total : null
}

/** Rounds shares to whole numbers that add up to exactly 100 (largest remainders). */
export function toPercentages(shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0)
  if (sum <= 0) return shares.map(() => 0)
  const exact = shares.map((s) => (100 * s) / sum)
  const out = exact.map(Math.floor)
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0])
  const missing = 100 - out.reduce((a, b) => a + b, 0)
  for (let k = 0; k < missing; k++) out[order[k][1]]++
  return out
}

function backtestScore(scoreOf: (r: TrainingRow) => number | null, cal: TrainingRow[], test: TrainingRow[]): ScorecardBacktest | null {
  const withScore = (rows: TrainingRow[]) => rows.flatMap((r) => {
    const s = scoreOf(r)
    return s === null ? [] : [{ r, risk: (100 - s) / 10 }]
  })
  const c = withScore(cal)
  const t = withScore(test)
  if (!c.some((x) => x.r.label) || !t.some((x) => x.r.label) || t.every((x) => x.r.label)) return null
  const platt = fitPlatt(c.map((x) => x.risk), c.map((x) => x.r.label))
  const labels = t.map((x) => x.r.label)
  const risks = t.map((x) => x.risk)
  const interval = aucInterval(risks, labels, t.map((x) => x.r.accountId), { resamples: 300 })
  return { auc: auc(risks, labels), aucLow: interval.low, aucHigh: interval.high, brier: brier(risks.map((x) => calibrate(platt, x)), labels) }
}

export function suggestScorecard(components: ComponentInfo[], folds: { train: TrainingRow[]; calibrate: TrainingRow[]; test: TrainingRow[] }, l2 = 100): ScorecardSuggestion {
  const { train } = folds
  const k = components.length
  const column = (j: number) => train.map((r) => r.components?.[j] ?? NaN)
  const stats = components.map((c, j) => {
    const values = column(j)
    const present = values.map((v, i) => [v, train[i].label] as const).filter(([v]) => Number.isFinite(v))
    const a = present.length ? auc(present.map(([v]) => 1 - v), present.map(([, y]) => y)) : NaN
    const mean = present.length ? present.reduce((s, [v]) => s + v, 0) / present.length : 0
    return { c, auc: Number.isNaN(a) ? null : a, coverage: train.length ? present.length / train.length : 0, mean }
  })
  // Shortfalls, a missing component at its average, so that absence neither raises nor lowers the risk.
  const x = train.map((r) => Float64Array.from({ length: k }, (_, j) => {
    const v = r.components?.[j] ?? NaN
    return 1 - (Number.isFinite(v) ? v : stats[j].mean)
  }))
  let suggested = components.map(() => 0)
  if (train.some((r) => r.label) && train.some((r) => !r.label)) {
    const fit = fitLogisticRegression(x, train.map((r) => r.label), { l2 })
    suggested = toPercentages(fit.coefficients.map((c) => Math.max(0, c)))
  }
  return {
    components: stats.map((s, j) => ({
      name: s.c.name,
      measure: s.c.measure,
      currentWeight: Math.round(s.c.weight * 1000) / 10,
      suggestedWeight: suggested[j],
      auc: s.auc,
      coverage: s.coverage,
    })),
    current: backtestScore((r) => r.healthScore, folds.calibrate, folds.test),
    suggested: suggested.some((w) => w > 0) ? backtestScore((r) => weightedScore(r.components ?? [], suggested), folds.calibrate, folds.test) : null,
    rows: { train: train.length, test: folds.test.length },
  }
}
