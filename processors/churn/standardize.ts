/**
 * Pure: features on one scale, so one L2 penalty treats them alike and a coefficient reads as "log-odds per
 * standard deviation". Values are first clipped to the training data's 1st–99th percentiles: counts such as
 * logins or resolution hours have long tails, and a handful of extreme accounts would otherwise set a
 * coefficient. Missing values (NaN or null) become the training mean — 0 after standardizing — so an account
 * that never answered an NPS survey is scored as an average one on that feature, not as a 0.
 */
export interface Standardizer {
  features: string[]
  /** Clip bounds per feature (the training data's 1st and 99th percentiles). */
  low: number[]
  high: number[]
  means: number[]
  deviations: number[]
}

const QUANTILE_SAMPLE = 50_000

const known = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v)

export function fitStandardizer(features: string[], rows: ArrayLike<number | null>[]): Standardizer {
  const s: Standardizer = { features, low: [], high: [], means: [], deviations: [] }
  // Percentiles from an evenly strided sample: sorting every column of a million rows costs seconds each.
  const stride = Math.max(1, Math.floor(rows.length / QUANTILE_SAMPLE))
  for (let j = 0; j < features.length; j++) {
    const picked: number[] = []
    for (let i = 0; i < rows.length; i += stride) if (known(rows[i][j])) picked.push(rows[i][j] as number)
    const sample = Float64Array.from(picked).sort() // a typed array sorts numerically without a comparator call per pair
    const at = (q: number) => (sample.length ? sample[Math.min(sample.length - 1, Math.floor(q * (sample.length - 1)))] : 0)
    const low = at(0.01)
    const high = at(0.99)
    let count = 0
    let sum = 0
    let squares = 0
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i][j]
      if (!known(v)) continue
      const c = Math.min(high, Math.max(low, v))
      count++
      sum += c
      squares += c * c
    }
    const mean = count ? sum / count : 0
    const variance = count ? squares / count - mean * mean : 0
    s.low.push(low)
    s.high.push(high)
    s.means.push(mean)
    // A constant feature carries nothing; a deviation of 1 leaves it at 0 instead of dividing by zero.
    s.deviations.push(variance > 1e-12 ? Math.sqrt(variance) : 1)
  }
  return s
}

export function standardizeRow(s: Standardizer, row: ArrayLike<number | null>): Float64Array {
  const out = new Float64Array(s.features.length)
  for (let j = 0; j < out.length; j++) {
    const v = row[j]
    out[j] = known(v) ? (Math.min(s.high[j], Math.max(s.low[j], v)) - s.means[j]) / s.deviations[j] : 0
  }
  return out
}
