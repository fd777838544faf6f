/** What the scoring worker reads about one account's last 30 days. */
export interface AccountActivity {
  events: number
  activeUsers: number
  activeDays: number
  distinctFeatures: number
}

export type HealthTier = 'HEALTHY' | 'NEUTRAL' | 'AT_RISK'

export interface HealthScore {
  score: number
  tier: HealthTier
}

/**
 * Pure: a first, usage-based 0–100 health score (the calibrated churn model replaces it later).
 * Breadth of use weighs more than raw volume: 20 active days, 10 active users and 5 distinct features
 * in 30 days each saturate their part; volume counts on a log scale so one noisy integration cannot
 * buy a healthy score.
 */
export function computeHealthScore(a: AccountActivity): HealthScore {
  const part = (value: number, saturation: number) => Math.min(Math.max(value, 0) / saturation, 1)
  const raw =
    35 * part(a.activeDays, 20) +
    25 * part(a.activeUsers, 10) +
    25 * part(a.distinctFeatures, 5) +
    15 * part(Math.log10(1 + Math.max(a.events, 0)), 3)
  const score = Math.round(raw)
  return { score, tier: tierOf(score) }
}

export function tierOf(score: number): HealthTier {
  if (score >= 70) return 'HEALTHY'
  if (score >= 40) return 'NEUTRAL'
  return 'AT_RISK'
}
