/**
 * Pure: how good a probabilistic prediction is. Written here because no npm package offers Brier score, log
 * loss or reliability tables; definitions follow scikit-learn's (`roc_auc_score`, `brier_score_loss`,
 * `log_loss`), and a test holds them to its output on a committed dataset. ClickHouse's `arrayAUC` gives the
 * same AUC (an integration test cross-checks it).
 */
import { seededRandom } from '../../runtime/seeded-random.js'

/** Area under the ROC curve: the probability that a random positive outranks a random negative (ties count half). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return weightedAuc(scores, labels, sortedByScore(scores), () => 1)
}

const sortedByScore = (scores: ArrayLike<number>) => Array.from(scores, (_, i) => i).sort((i, j) => scores[i] - scores[j])

export function brier(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < labels.length; i++) sum += (probabilities[i] - labels[i]) ** 2
  return sum / labels.length
}

export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const eps = 2.220446049250313e-16 // float64 machine epsilon, scikit-learn's clip
  let sum = 0
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]))
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p)
  }
  return sum / labels.length
}

export interface ReliabilityBin {
  /** Mean predicted probability in the bin. */
  predicted: number
  /** Share of the bin that churned. */
  observed: number
  accounts: number
}

/** Predicted against observed by decile of predicted risk (equal-count bins, lowest risk first). */
export function reliabilityTable(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const order = Array.from(probabilities, (_, i) => i).sort((i, j) => probabilities[i] - probabilities[j])
  const out: ReliabilityBin[] = []
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * order.length) / bins)
    const to = Math.floor(((b + 1) * order.length) / bins)
    if (to <= from) continue
    let p = 0
    let o = 0
    for (let i = from; i < to; i++) {
      p += probabilities[order[i]]
      o += labels[order[i]]
    }
    out.push({ predicted: p / (to - from), observed: o / (to - from), accounts: to - from })
  }
  return out
}

/** Expected calibration error: the count-weighted mean gap between predicted and observed over equal-width probability bins. */
export function expectedCalibrationError(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const sumP = new Float64Array(bins)
  const sumY = new Float64Array(bins)
  const count = new Float64Array(bins)
  for (let i = 0; i < labels.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probabilities[i] * bins))
    sumP[b] += probabilities[i]
    sumY[b] += labels[i]
    count[b]++
  }
  let ece = 0
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(sumP[b] - sumY[b])
  return ece / labels.length
}

/** Precision and recall when the `share` riskiest rows are flagged. */
export function topShare(scores: ArrayLike<number>, labels: ArrayLike<number>, share = 0.1): { precision: number; recall: number; flagged: number } {
  const order = Array.from(scores, (_, i) => i).sort((i, j) => scores[j] - scores[i])
  const flagged = Math.max(1, Math.round(order.length * share))
  let hits = 0
  let positives = 0
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]]) {
      positives++
      if (i < flagged) hits++
    }
  }
  return { precision: hits / flagged, recall: positives ? hits / positives : NaN, flagged }
}

/**
 * A percentile bootstrap interval of the AUC. Rows of one account are resampled together (a cluster
 * bootstrap): an account's weekly snapshots are not independent, and resampling rows alone would give an
 * interval narrower than the evidence. The rows are sorted once; each resample only reweights them (how many
 * times its account was drawn) and takes the weighted AUC in one pass, so a resample costs O(rows).
 */
export function aucInterval(scores: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<string>, options: { resamples?: number; level?: number; seed?: number } = {}): { low: number; high: number } {
  const { resamples = 500, level = 0.95, seed = 1 } = options
  const clusterOf = new Map<string, number>()
  const cluster = new Int32Array(labels.length)
  for (let i = 0; i < labels.length; i++) {
    let c = clusterOf.get(groups[i])
    if (c === undefined) clusterOf.set(groups[i], (c = clusterOf.size))
    cluster[i] = c
  }
  const order = sortedByScore(scores)
  const rng = seededRandom(seed)
  const draws = new Float64Array(clusterOf.size)
  const values: number[] = []
  for (let r = 0; r < resamples; r++) {
    draws.fill(0)
    for (let c = 0; c < draws.length; c++) draws[Math.floor(rng.next() * draws.length)]++
    const v = weightedAuc(scores, labels, order, (i) => draws[cluster[i]])
    if (!Number.isNaN(v)) values.push(v)
  }
  values.sort((a, b) => a - b)
  if (!values.length) return { low: NaN, high: NaN }
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2) }
}

/** AUC with row weights over rows pre-sorted by score: each positive counts the weight of negatives below it, ties half. */
function weightedAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, order: number[], weight: (i: number) => number): number {
  let negativesBelow = 0
  let pairs = 0
  let positives = 0
  for (let a = 0; a < order.length; ) {
    let b = a
    let pos = 0
    let neg = 0
    while (b < order.length && scores[order[b]] === scores[order[a]]) {
      const w = weight(order[b])
      if (labels[order[b]]) pos += w
      else neg += w
      b++
    }
    pairs += pos * (negativesBelow + neg / 2)
    positives += pos
    negativesBelow += neg
    a = b
  }
  return positives && negativesBelow ? pairs / (positives * negativesBelow) : NaN
}
