/**
 * Pure: the published score is an exponentially weighted moving average of the raw score in continuous time,
 * so that a one-day spike moves it by a fraction while a lasting change comes through within a few
 * half-lives; and its trend against 7 and 30 days ago.
 */

export interface PreviousScore {
  /** The smoothed value (unrounded) of the previous score. */
  smoothed: number
  asOf: number
  scorecardVersion: string
}

/**
 * Weight of the new raw value after `elapsedMs`: 1 − 2^(−elapsed / halfLife). Time-based rather than per
 * update, so an account scored on every event and one scored by the hourly sweep decay alike.
 */
export function smoothingWeight(elapsedMs: number, halfLifeMs: number): number {
  if (halfLifeMs <= 0) return 1
  return 1 - Math.pow(2, -Math.max(0, elapsedMs) / halfLifeMs)
}

/**
 * The smoothed score at `asOf`. It starts afresh from the raw score when there is no previous score or the
 * previous one came from another scorecard: a scorecard change shows at once instead of over days.
 */
export function smooth(raw: number, asOf: number, halfLifeMs: number, scorecardVersion: string, previous?: PreviousScore): number {
  if (!previous || previous.scorecardVersion !== scorecardVersion || previous.asOf > asOf) return raw
  const w = smoothingWeight(asOf - previous.asOf, halfLifeMs)
  return previous.smoothed + w * (raw - previous.smoothed)
}

export type Direction = 'IMPROVING' | 'STABLE' | 'DECLINING'

export interface Trend {
  change7d: number | null
  change30d: number | null
  direction: Direction
}

/** Change against the scores of 7 and 30 days ago (null where there was none); direction from the nearest. */
export function trendOf(score: number, scoreDaysAgo: { d7: number | null; d30: number | null }, stableBand: number): Trend {
  const change7d = scoreDaysAgo.d7 === null ? null : score - scoreDaysAgo.d7
  const change30d = scoreDaysAgo.d30 === null ? null : score - scoreDaysAgo.d30
  const basis = change7d ?? change30d ?? 0
  const direction: Direction = basis > stableBand ? 'IMPROVING' : basis < -stableBand ? 'DECLINING' : 'STABLE'
  return { change7d, change30d, direction }
}
