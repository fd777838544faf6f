/**
 * Pure: features on one scale, so one L2 penalty treats them alike and a coefficient reads as "log-odds per
 * standard deviation". Missing values (null) become the training mean — 0 after standardizing — so an
 * account that never answered an NPS survey is scored as an average one on that feature, not as a 0.
 */
export interface Standardizer {
  features: string[]
  means: number[]
  deviations: number[]
}

/** Rows hold NaN (or null) where a value is unknown. */
export function fitStandardizer(features: string[], rows: ArrayLike<number | null>[]): Standardizer {
  const means: number[] = []
  const deviations: number[] = []
  for (let j = 0; j < features.length; j++) {
    let n = 0
    let sum = 0
    let squares = 0
    for (const row of rows) {
      const v = row[j]
      if (v === null || !Number.isFinite(v)) continue
      n++
      sum += v
      squares += v * v
    }
    const mean = n ? sum / n : 0
    const variance = n ? squares / n - mean * mean : 0
    means.push(mean)
    // A constant feature carries nothing; a deviation of 1 leaves it at 0 instead of dividing by zero.
    deviations.push(variance > 1e-12 ? Math.sqrt(variance) : 1)
  }
  return { features, means, deviations }
}

export function standardizeRow(s: Standardizer, row: ArrayLike<number | null>): Float64Array {
  const out = new Float64Array(s.features.length)
  for (let j = 0; j < out.length; j++) {
    const v = row[j]
    out[j] = v === null || !Number.isFinite(v) ? 0 : (v - s.means[j]) / s.deviations[j]
  }
  return out
}
