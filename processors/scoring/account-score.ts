/**
 * Pure: one account's health score as of a time — raw score from the scorecard, smoothed against the
 * previous score, banded into a tier, with its trend. The record is
 * what `health_scores` stores and what subscribers receive.
 */
import type { MeasureValues } from './measures.js'
import { computeScore, scoreOnly, tierOf, type ComponentScore, type ScoreStatus } from './score.js'
import type { Scorecard, Segment } from './scorecard.js'
import { smooth, trendOf, type PreviousScore, type Trend } from './smoothing.js'

export type ScoreTrigger = 'event' | 'sweep' | 'rescore'

export interface HealthScoreRecord {
  accountId: string
  /** Epoch ms the score is as of: no event after it was read. */
  asOf: number
  computedAt: number
  trigger: ScoreTrigger
  scorecardVersion: string
  segment: Segment | null
  status: ScoreStatus
  /** The published score: smoothed, rounded; null when INSUFFICIENT_DATA. */
  score: number | null
  smoothed: number | null
  rawScore: number | null
  tier: string | null
  previousScore: number | null
  previousTier: string | null
  /** When the account's previous score was as of; null for its first (the playbooks prime accounts scored before a rule existed). */
  previousAsOf: number | null
  /** Whether subscribers hear of it: the account's first score, or a new score or tier. */
  changed: boolean
  coverage: number
  missing: string[]
  trend: Trend
  /** Drivers and the way to the next tier are derived from these when needed (explain.ts), not per sweep. */
  components: ComponentScore[]
  measures: MeasureValues
}

/** What the score store knows of an account's earlier scores. */
export interface ScoreHistory {
  /** The latest score: a job is skipped when it is as of the same time or later, and changes are against it. */
  previous?: { asOf: number; scorecardVersion: string; score: number | null; tier: string | null }
  /**
   * The last score of a day before the as-of day: smoothing continues from it, so the scores computed within
   * one day (on every event, by each sweep) do not compound, and a history ingested in one go is not smoothed
   * against its own first, partial, score.
   */
  base?: PreviousScore
  /** Published scores of 7 and 30 days before the as-of time (each day's last), null where there was none. */
  daysAgo: { d7: number | null; d30: number | null }
}

export function scoreAccount(input: {
  accountId: string
  card: Scorecard
  version: string
  values: MeasureValues
  segment: Segment | null
  history: ScoreHistory
  asOf: number
  computedAt: number
  trigger: ScoreTrigger
}): HealthScoreRecord {
  const { card, history, values, segment } = input
  const raw = scoreOnly(card, values, segment)
  const previous = history.previous
  let smoothed: number | null = null
  let score: number | null = null
  let tier: string | null = null
  let trend: Trend = { change7d: null, change30d: null, direction: 'STABLE' }
  if (raw.score !== null) {
    smoothed = smooth(raw.score, input.asOf, card.halfLifeMs, input.version, history.base)
    score = Math.round(smoothed)
    tier = tierOf(card.tiers, score).name
    trend = trendOf(score, history.daysAgo, card.stableBand)
  }
  // The components are derived when read (a published change, an alert's drivers): a sweep scores every
  // account and publishes a few hundred, so most records never need them.
  let components: ComponentScore[] | undefined
  return {
    accountId: input.accountId,
    asOf: input.asOf,
    computedAt: input.computedAt,
    trigger: input.trigger,
    scorecardVersion: input.version,
    segment,
    status: raw.status,
    score,
    smoothed,
    rawScore: raw.score,
    tier,
    previousScore: previous?.score ?? null,
    previousTier: previous?.tier ?? null,
    previousAsOf: previous?.asOf ?? null,
    changed: raw.score === null ? !previous || previous.score !== null : !previous || previous.score !== score || previous.tier !== tier,
    coverage: raw.coverage,
    missing: raw.missing,
    trend,
    get components() {
      return (components ??= computeScore(card, values, segment).components)
    },
    measures: values,
  }
}
