import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { calibrate, fitIsotonic, fitPlatt } from '../../processors/churn/calibration.js'
import { fitLogisticRegression, logOdds, sigmoid } from '../../processors/churn/logistic-regression.js'
import { auc, aucInterval, brier, expectedCalibrationError, logLoss, reliabilityTable, topShare } from '../../processors/churn/metrics.js'

// Computed once with scikit-learn by test/fixtures/churn-reference.py (the command is in its docstring).
const ref = JSON.parse(fs.readFileSync(new URL('../fixtures/churn-reference.json', import.meta.url), 'utf8')) as {
  x: number[][]; y: number[]; l2: number; intercept: number; coefficients: number[]; scores: number[]
  auc: number; aucTied: number; brier: number; logLoss: number
  platt: { a: number; b: number }; isotonic: { grid: number[]; predictions: number[] }
}

describe('L2 logistic regression (IRLS) against scikit-learn', () => {
  const model = fitLogisticRegression(ref.x, ref.y, { l2: ref.l2 })

  it('finds the same intercept and coefficients', () => {
    expect(model.intercept).toBeCloseTo(ref.intercept, 6)
    model.coefficients.forEach((c, j) => expect(c).toBeCloseTo(ref.coefficients[j], 6))
    expect(model.hessians).toBeLessThan(15)
    expect(model.iterations).toBeLessThan(60)
  })

  it('gives the same decision function', () => {
    ref.x.forEach((row, i) => expect(logOdds(model, row)).toBeCloseTo(ref.scores[i], 5))
  })

  it('shrinks coefficients as the penalty grows, never the intercept toward zero for it alone', () => {
    const strong = fitLogisticRegression(ref.x, ref.y, { l2: 1000 })
    const norm = (m: typeof model) => Math.hypot(...m.coefficients)
    expect(norm(strong)).toBeLessThan(norm(model) / 3)
    // With every coefficient near zero the intercept carries the base rate.
    const rate = ref.y.reduce((a, b) => a + b, 0) / ref.y.length
    expect(sigmoid(strong.intercept + strong.coefficients.reduce((s, c, j) => s + c * ref.x.reduce((m, r) => m + r[j], 0) / ref.x.length, 0))).toBeCloseTo(rate, 1)
  })

  it('reaches the same optimum from a far start, where plain Newton steps overshoot', () => {
    // Almost separable rows and a weak penalty: from saturated coefficients the Hessian is tiny and the first
    // Newton step lands far away; the fit must back off instead of cycling.
    const x = Array.from({ length: 400 }, (_, i) => [(i - 200) / 50, Math.sin(i)])
    const y = x.map(([a], i) => (a > 0 !== (i % 37 === 0) ? 1 : 0))
    const near = fitLogisticRegression(x, y, { l2: 0.01 })
    const far = fitLogisticRegression(x, y, { l2: 0.01, start: { intercept: 40, coefficients: [-60, 80] } })
    expect(far.iterations).toBeLessThan(100)
    expect(far.intercept).toBeCloseTo(near.intercept, 6)
    far.coefficients.forEach((c, j) => expect(c).toBeCloseTo(near.coefficients[j], 6))
  })

  it('refuses mismatched input', () => {
    expect(() => fitLogisticRegression([], [])).toThrow(/no rows/)
    expect(() => fitLogisticRegression([[1]], [1, 0])).toThrow(/1 rows but 2 labels/)
  })
})

describe('metrics against scikit-learn', () => {
  const probs = ref.scores.map(sigmoid)
  it('AUC, with and without tied scores', () => {
    expect(auc(probs, ref.y)).toBeCloseTo(ref.auc, 12)
    expect(auc(ref.scores.map((s) => Math.round(s * 10) / 10), ref.y)).toBeCloseTo(ref.aucTied, 12)
  })
  it('Brier score and log loss', () => {
    expect(brier(probs, ref.y)).toBeCloseTo(ref.brier, 12)
    expect(logLoss(probs, ref.y)).toBeCloseTo(ref.logLoss, 12)
  })
  it('AUC of a constant score is one half, and undefined with one class', () => {
    expect(auc([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1])).toBe(0.5)
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN()
  })
})

describe('calibration against scikit-learn', () => {
  const scores = ref.scores.slice(0, 300)
  const labels = ref.y.slice(0, 300)
  it('Platt scaling finds the same sigmoid', () => {
    const platt = fitPlatt(scores, labels)
    if (platt.method !== 'platt') throw new Error('expected platt')
    // scikit-learn stops L-BFGS at its default tolerance; Newton goes to the optimum.
    expect(platt.a).toBeCloseTo(ref.platt.a, 3)
    expect(platt.b).toBeCloseTo(ref.platt.b, 3)
  })
  it('isotonic regression gives the same step function, clipped at the ends', () => {
    const iso = fitIsotonic(scores, labels)
    ref.isotonic.grid.forEach((g, i) => expect(calibrate(iso, g)).toBeCloseTo(ref.isotonic.predictions[i], 10))
  })
  it('isotonic output never decreases', () => {
    const iso = fitIsotonic(scores, labels)
    const out = ref.isotonic.grid.map((g) => calibrate(iso, g))
    out.slice(1).forEach((v, i) => expect(v).toBeGreaterThanOrEqual(out[i]))
  })
})

describe('reliability, calibration error, top decile, bootstrap', () => {
  it('a perfectly calibrated step predicts what it observes', () => {
    const p = [...Array(50).fill(0.2), ...Array(50).fill(0.8)]
    const y = [...Array(10).fill(1), ...Array(40).fill(0), ...Array(40).fill(1), ...Array(10).fill(0)]
    expect(expectedCalibrationError(p, y)).toBeCloseTo(0, 12)
    const table = reliabilityTable(p, y, 2)
    expect(table.map((b) => [b.predicted.toFixed(12), b.observed.toFixed(12), b.accounts])).toEqual([['0.200000000000', '0.200000000000', 50], ['0.800000000000', '0.800000000000', 50]])
  })
  it('an overconfident prediction has a calibration error equal to its gap', () => {
    expect(expectedCalibrationError(Array(100).fill(0.9), [...Array(50).fill(1), ...Array(50).fill(0)])).toBeCloseTo(0.4, 12)
  })
  it('precision and recall of the riskiest 10 %', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i)
    const labels = scores.map((i) => (i >= 95 || i === 10 ? 1 : 0))
    expect(topShare(scores, labels, 0.1)).toEqual({ precision: 0.5, recall: 5 / 6, flagged: 10 })
  })
  it('the bootstrap interval holds the AUC and narrows with more accounts', () => {
    const probs = ref.scores.map(sigmoid)
    const groups = ref.y.map((_, i) => `a${i}`)
    const wide = aucInterval(probs.slice(0, 150), ref.y.slice(0, 150), groups.slice(0, 150), { seed: 3 })
    const narrow = aucInterval(probs, ref.y, groups, { seed: 3 })
    expect(narrow.low).toBeLessThan(ref.auc)
    expect(narrow.high).toBeGreaterThan(ref.auc)
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low)
  })
})
