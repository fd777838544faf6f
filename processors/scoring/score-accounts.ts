/**
 * One scoring pass, the same for the jobs of a burst of events and for the sweep over every account: read
 * the measures and the score history in a few set-based queries, score each account (pure), insert every
 * new score in one insert, and publish those that changed.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { scoreAccount, type HealthScoreRecord, type ScoreHistory, type ScoreTrigger } from './account-score.js'
import { portfolioReader, readAccountInputs, type AccountSelection } from './measure-query.js'
import { measureValues } from './measure-values.js'
import type { LoadedScorecard } from './scorecard-file.js'
import { toScoreChange, type HealthScoreChanged } from './score-events.js'
import { insertScores, readScoreHistory } from './score-store.js'

export interface ScoringDeps {
  clickhouse: ClickHouseClient
  scorecard: LoadedScorecard
  publish: (change: HealthScoreChanged) => void
  /** Reads the portfolio-wide inputs; pass one reader to every pass so it can keep the day's core features. */
  portfolio?: ReturnType<typeof portfolioReader>
  /** The clock; tests move it instead of sleeping. */
  now?: () => number
}

const NO_HISTORY: ScoreHistory = { daysAgo: { d7: null, d30: null } }

export interface ScoringRun {
  records: HealthScoreRecord[]
  /** Accounts whose latest score is already as of this time (or later) with this scorecard. */
  skipped: number
  published: number
  ms: { read: number; compute: number; insert: number }
}

/**
 * Scores the selected accounts as of `asOf` (epoch ms). Idempotent: an account whose latest score is as of
 * this time or later, from the same scorecard, is skipped, so a job processed twice adds no second row.
 */
export async function scoreAccounts(deps: ScoringDeps, selection: AccountSelection, asOf: number, trigger: ScoreTrigger): Promise<ScoringRun> {
  const now = deps.now ?? Date.now
  const { card, version } = deps.scorecard
  const began = now()
  const [inputs, portfolio, history] = await Promise.all([
    readAccountInputs(deps.clickhouse, selection, new Date(asOf)),
    (deps.portfolio ?? portfolioReader(deps.clickhouse))(new Date(asOf), card.coreFeatures),
    readScoreHistory(deps.clickhouse, selection, asOf),
  ])
  const read = now()
  const records: HealthScoreRecord[] = []
  let skipped = 0
  for (const account of inputs) {
    const h = history.get(account.accountId) ?? NO_HISTORY
    if (h.previous && h.previous.asOf >= asOf && h.previous.scorecardVersion === version) {
      skipped++
      continue
    }
    const { values, segment } = measureValues(account, portfolio, asOf)
    records.push(scoreAccount({ accountId: account.accountId, card, version, values, segment, history: h, asOf, computedAt: read, trigger }))
  }
  const computed = now()
  await insertScores(deps.clickhouse, records)
  const inserted = now()
  const changes = records.filter((r) => r.changed)
  for (const r of changes) deps.publish(toScoreChange(r))
  return { records, skipped, published: changes.length, ms: { read: read - began, compute: computed - read, insert: inserted - computed } }
}
