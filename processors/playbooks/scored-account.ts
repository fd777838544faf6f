import type { HealthScoreRecord } from '../scoring/account-score.js'
import { driversOf } from '../scoring/explain.js'
import type { PlaybookFacts } from './account-facts.js'
import { accountStateOf } from './account-state-of.js'
import type { AccountEvaluation } from './episode-store.js'
import type { AlertScoreContext } from './planned-actions.js'

/**
 * A scored account handed to the rules: its state and its alerts' context are built only when the store asks.
 * A class rather than an object of closures: a sweep makes 50,000 of these, and two closures per account
 * (each named by the TypeScript loader as it is created) cost more than the rules of a quiet account.
 */
export class ScoredAccount implements AccountEvaluation {
  readonly accountId: string
  /** Scored before its first evaluation: Pulse knew it then, so rules deployed since are primed for it. */
  readonly knownSince: number | undefined

  constructor(
    private readonly record: HealthScoreRecord,
    private readonly churnProbability: number | null,
    private readonly keyFeatures: string[],
    private readonly facts: PlaybookFacts,
  ) {
    this.accountId = record.accountId
    this.knownSince = record.previousAsOf ?? undefined
  }

  state() {
    return accountStateOf({ record: this.record, churnProbability: this.churnProbability, keyFeatures: this.keyFeatures, facts: this.facts })
  }

  context(): AlertScoreContext {
    const r = this.record
    return {
      score: r.score,
      previousScore: r.previousScore,
      tier: r.tier,
      previousTier: r.previousTier,
      drivers: r.status === 'OK' ? driversOf(r.components, r.measures).map((d) => d.text) : [],
    }
  }
}
