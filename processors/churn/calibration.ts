/**
 * Pure: turning a model's log-odds into probabilities that mean what they say, fitted on a later time fold
 * than the model. Written here because no npm package offers Platt scaling or isotonic regression; both
 * follow scikit-learn (`CalibratedClassifierCV`'s sigmoid and `IsotonicRegression`), and a test holds them to
 * its output on a committed dataset.
 */
import { fitLogisticRegression, sigmoid } from './logistic-regression.js'

export type Calibration =
  | { method: 'platt'; a: number; b: number }
  /** Increasing step function through (x, y) points, linearly interpolated, clipped at both ends. */
  | { method: 'isotonic'; x: number[]; y: number[] }

/**
 * Platt scaling: p = sigmoid(a·z + b), fitted by Newton's method on Platt's smoothed targets
 * ((positives + 1) / (positives + 2) and 1 / (negatives + 2)) so that a small fold does not push the ends to 0 or 1.
 */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  let positives = 0
  for (let i = 0; i < labels.length; i++) positives += labels[i]
  const negatives = labels.length - positives
  const hi = (positives + 1) / (positives + 2)
  const lo = 1 / (negatives + 2)
  const targets = Array.from(labels, (l) => (l ? hi : lo))
  const fit = fitLogisticRegression(Array.from(scores, (s) => [s]), targets, { l2: 0, maxIterations: 100, tolerance: 1e-12 })
  return { method: 'platt', a: fit.coefficients[0], b: fit.intercept }
}

/** Isotonic regression by pool-adjacent-violators: the non-decreasing fit of the labels on the scores. */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  const order = Array.from(scores, (_, i) => i).sort((i, j) => scores[i] - scores[j])
  // Equal scores are pooled first (their mean label), as scikit-learn does.
  const xs: number[] = []
  const sums: number[] = []
  const weights: number[] = []
  for (const i of order) {
    const last = xs.length - 1
    if (last >= 0 && xs[last] === scores[i]) {
      sums[last] += labels[i]
      weights[last]++
    } else {
      xs.push(scores[i])
      sums.push(labels[i])
      weights.push(1)
    }
  }
  // Blocks: [start index, value, weight]; merge backwards while a block is below its predecessor.
  const start: number[] = []
  const value: number[] = []
  const weight: number[] = []
  for (let i = 0; i < xs.length; i++) {
    start.push(i)
    value.push(sums[i] / weights[i])
    weight.push(weights[i])
    while (value.length > 1 && value[value.length - 2] >= value[value.length - 1]) {
      const w = weight.pop()!
      const v = value.pop()!
      start.pop()
      const k = value.length - 1
      value[k] = (value[k] * weight[k] + v * w) / (weight[k] + w)
      weight[k] += w
    }
  }
  const y = new Array<number>(xs.length)
  for (let b = 0; b < start.length; b++) {
    const end = b + 1 < start.length ? start[b + 1] : xs.length
    for (let i = start[b]; i < end; i++) y[i] = value[b]
  }
  return { method: 'isotonic', x: xs, y }
}

export function calibrate(c: Calibration, score: number): number {
  if (c.method === 'platt') return sigmoid(c.a * score + c.b)
  const { x, y } = c
  if (score <= x[0]) return y[0]
  if (score >= x[x.length - 1]) return y[y.length - 1]
  let lo = 0
  let hi = x.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (x[mid] <= score) lo = mid
    else hi = mid
  }
  return y[lo] + ((y[hi] - y[lo]) * (score - x[lo])) / (x[hi] - x[lo])
}
