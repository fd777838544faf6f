/**
 * One scoring pass, the same for the jobs of a burst of events and for the sweep over every account: read
 * the measures and the score history in a few set-based queries, score each account (pure), insert every
 * new score in one insert, and publish those that changed.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { batchedReader, readerOf } from '../batched-rows.js'
import { scoreAccount, type HealthScoreRecord, type ScoreHistory, type ScoreTrigger } from './account-score.js'
import { portfolioReader, readAccountInputs, type AccountSelection } from './measure-query.js'
import { measureValues, type AccountInputs, type PortfolioInputs } from './measure-values.js'
import type { LoadedScorecard } from './scorecard-file.js'
import { toScoreChange, type HealthScoreChanged } from './score-events.js'
import { insertScores, readScoreHistory } from './score-store.js'
import type { SparseMemo } from './sparse-memo.js'
import { compareScorecards, type DryRunComparison } from './dry-run.js'

export interface ScoringDeps {
  clickhouse: ClickHouseClient
  scorecard: LoadedScorecard
  publish: (change: HealthScoreChanged) => void
  /** Reads the portfolio-wide inputs; pass one reader to every pass so it can keep the day's core features. */
  portfolio?: ReturnType<typeof portfolioReader>
  /** The clock; tests move it instead of sleeping. */
  now?: () => number
  /** Keeps live passes' facts aggregates while they hold (sparse-memo.ts); pass one to every pass. */
  sparseMemo?: SparseMemo
}

const NO_HISTORY: ScoreHistory = { daysAgo: { d7: null, d30: null } }

export interface ScoringRun {
  records: HealthScoreRecord[]
  /** Accounts whose latest score is already as of this time (or later) with this scorecard. */
  skipped: number
  published: number
  /** The kinds of event the portfolio sends, as this pass read them. */
  sources: Set<string>
  /** The key features as this pass resolved them (the scorecard's core features, or the portfolio's top N). */
  keyFeatures: string[]
  ms: { read: number; compute: number; insert: number }
}

/** What a pass reads from ClickHouse: each account's inputs and score history, and the portfolio's. */
export interface ScoringInputs {
  accounts: AccountInputs[]
  history: Map<string, ScoreHistory>
  portfolio: PortfolioInputs
}

export async function readScoringInputs(
  clickhouse: ClickHouseClient,
  portfolio: ReturnType<typeof portfolioReader>,
  card: LoadedScorecard['card'],
  selection: AccountSelection,
  asOf: number,
  live = false,
  sparseMemo?: SparseMemo,
): Promise<ScoringInputs> {
  // A pass over listed accounts (events) reads in one query: one turn in chDB's queue of parameterized queries
  // instead of six, among the processor's and the playbooks' (batched-rows.ts). A sweep's reads return every
  // account, too many rows to send as JSON inside JSON. The memo's fingerprints must not see a fact the pass's
  // facts read would not: an event pass reads them in its one query, and the facts of the accounts whose
  // aggregates do not hold after it, in a second query (none in most passes: facts are ~1 % of events).
  const listed = 'accountIds' in selection
  const read = listed ? batchedReader(clickhouse) : readerOf(clickhouse)
  const memoOf = listed ? selection.accountIds : 'all' in selection ? ('all' as const) : undefined
  const plan = sparseMemo && live && memoOf ? sparseMemo.plan(memoOf, asOf, listed ? read : undefined) : undefined
  // Only the facts read waits for the plan; the other reads run meanwhile. The plan then fails through that
  // read; the catch only keeps it from counting as unhandled while the others run.
  plan?.catch(() => undefined)
  const [accounts, portfolioInputs, history] = await Promise.all([
    readAccountInputs(clickhouse, selection, new Date(asOf), live, read, plan),
    portfolio(new Date(asOf), card.coreFeatures, read),
    readScoreHistory(clickhouse, selection, asOf, read),
  ])
  return { accounts, history, portfolio: portfolioInputs }
}

/**
 * Pure: scores every account of the inputs with a scorecard. With `skipScoredSince`, an account whose latest
 * score is as of that time or later from the same scorecard is left out (counted in `skipped`).
 */
export function scoreInputs(
  scorecard: LoadedScorecard,
  inputs: ScoringInputs,
  at: { asOf: number; computedAt: number; trigger: ScoreTrigger },
  skipScoredSince?: number | Map<string, number>,
): { records: HealthScoreRecord[]; skipped: number } {
  const { card, version } = scorecard
  const records: HealthScoreRecord[] = []
  let skipped = 0
  for (const account of inputs.accounts) {
    const history = inputs.history.get(account.accountId) ?? NO_HISTORY
    const since = typeof skipScoredSince === 'number' ? skipScoredSince : skipScoredSince?.get(account.accountId)
    if (since !== undefined && history.previous && history.previous.asOf >= since && history.previous.scorecardVersion === version) {
      skipped++
      continue
    }
    const { values, segment } = measureValues(account, inputs.portfolio, at.asOf)
    records.push(scoreAccount({ accountId: account.accountId, card, version, values, segment, history, ...at }))
  }
  return { records, skipped }
}

export interface ScoringOptions {
  /** The as-of time is now: read every event stored so far, cheaply (see measure-query.ts). */
  live?: boolean
  /**
   * When the job asking for this pass was due, for every account or per account (default: the as-of time).
   * An account already scored as of then or later with this scorecard is skipped, so a job processed twice
   * adds no second row.
   */
  dueAt?: number | Map<string, number>
}

/**
 * Scores the selected accounts as of `asOf` (epoch ms). Idempotent: an account whose latest score is as of
 * the due time or later, from the same scorecard, is skipped.
 */
export async function scoreAccounts(deps: ScoringDeps, selection: AccountSelection, asOf: number, trigger: ScoreTrigger, opts: ScoringOptions = {}): Promise<ScoringRun> {
  const now = deps.now ?? Date.now
  const began = now()
  const inputs = await readScoringInputs(deps.clickhouse, deps.portfolio ?? portfolioReader(deps.clickhouse), deps.scorecard.card, selection, asOf, opts.live, deps.sparseMemo)
  const read = now()
  const { records, skipped } = scoreInputs(deps.scorecard, inputs, { asOf, computedAt: read, trigger }, opts.dueAt ?? asOf)
  const computed = now()
  await insertScores(deps.clickhouse, records)
  const inserted = now()
  const changes = records.filter((r) => r.changed)
  for (const r of changes) deps.publish(toScoreChange(r))
  return { records, skipped, published: changes.length, sources: inputs.portfolio.sources, keyFeatures: inputs.portfolio.coreFeatures, ms: { read: read - began, compute: computed - read, insert: inserted - computed } }
}

export interface DryRun extends DryRunComparison {
  asOf: number
  current: { version: string; source: string }
  candidate: { version: string; source: string }
}

/**
 * Scores the selected accounts as of `asOf` with the running scorecard and with a candidate, from one read
 * of ClickHouse, and compares them. Writes nothing and publishes nothing.
 */
export async function dryRunScorecard(
  deps: Pick<ScoringDeps, 'clickhouse' | 'scorecard' | 'portfolio'>,
  candidate: LoadedScorecard,
  selection: AccountSelection,
  asOf: number,
  live = false,
): Promise<DryRun> {
  const portfolio = deps.portfolio ?? portfolioReader(deps.clickhouse)
  const inputs = await readScoringInputs(deps.clickhouse, portfolio, deps.scorecard.card, selection, asOf, live)
  const candidateInputs =
    JSON.stringify(candidate.card.coreFeatures) === JSON.stringify(deps.scorecard.card.coreFeatures)
      ? inputs
      : { ...inputs, portfolio: await portfolio(new Date(asOf), candidate.card.coreFeatures) }
  const at = { asOf, computedAt: asOf, trigger: 'rescore' as const }
  const current = scoreInputs(deps.scorecard, inputs, at)
  const next = scoreInputs(candidate, candidateInputs, at)
  return {
    asOf,
    current: { version: deps.scorecard.version, source: deps.scorecard.source },
    candidate: { version: candidate.version, source: candidate.source },
    ...compareScorecards({ card: deps.scorecard.card, records: current.records }, { card: candidate.card, records: next.records }),
  }
}
