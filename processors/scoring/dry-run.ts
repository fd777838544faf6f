/**
 * Pure: what a candidate scorecard would change, account by account and as a tier-change matrix, from two
 * sets of scores of the same accounts as of the same time. The candidate's scores are what a re-score would
 * publish: smoothing starts afresh from the raw score under a new scorecard version (see smoothing.ts), so
 * the comparison shows exactly what subscribers would see move.
 */
import type { HealthScoreRecord } from './account-score.js'
import type { ScoreStatus } from './score.js'
import type { Scorecard } from './scorecard.js'

/** The column and row of the matrix for scores without a tier. */
export const NO_TIER = 'INSUFFICIENT_DATA'

export interface ScoreOutcome {
  score: number | null
  tier: string | null
  status: ScoreStatus
  coverage: number
}

export interface DryRunAccount {
  accountId: string
  current: ScoreOutcome
  candidate: ScoreOutcome
  /** Candidate score minus current score; null when either has no score. */
  change: number | null
  tierChanged: boolean
}

export interface TierMove {
  from: string
  to: string
  accounts: number
}

export interface DryRunComparison {
  accounts: DryRunAccount[]
  /** Every (from, to) pair with at least one account, in tier order; from = to counts the accounts that stay. */
  matrix: TierMove[]
  /** Row labels (current tiers, best first) and column labels (candidate tiers). */
  currentTiers: string[]
  candidateTiers: string[]
  accountsScored: number
  tierChanges: number
  scoreChanges: number
}

const outcome = (r: HealthScoreRecord): ScoreOutcome => ({ score: r.score, tier: r.tier, status: r.status, coverage: r.coverage })
const tierLabel = (o: ScoreOutcome) => o.tier ?? NO_TIER

export function compareScorecards(
  current: { card: Scorecard; records: HealthScoreRecord[] },
  candidate: { card: Scorecard; records: HealthScoreRecord[] },
): DryRunComparison {
  const candidateOf = new Map(candidate.records.map((r) => [r.accountId, r]))
  const accounts: DryRunAccount[] = []
  for (const r of current.records) {
    const c = candidateOf.get(r.accountId)
    if (!c) continue
    const from = outcome(r)
    const to = outcome(c)
    accounts.push({
      accountId: r.accountId,
      current: from,
      candidate: to,
      change: from.score === null || to.score === null ? null : to.score - from.score,
      tierChanged: tierLabel(from) !== tierLabel(to),
    })
  }
  // Tier changes first, then the largest score changes, so the head of the list is what to look at.
  accounts.sort((a, b) => Number(b.tierChanged) - Number(a.tierChanged) || Math.abs(b.change ?? 0) - Math.abs(a.change ?? 0) || a.accountId.localeCompare(b.accountId))

  const currentTiers = [...current.card.tiers.map((t) => t.name), NO_TIER]
  const candidateTiers = [...candidate.card.tiers.map((t) => t.name), NO_TIER]
  const counts = new Map<string, number>()
  for (const a of accounts) {
    const key = JSON.stringify([tierLabel(a.current), tierLabel(a.candidate)])
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const matrix: TierMove[] = []
  for (const from of currentTiers) for (const to of candidateTiers) {
    const n = counts.get(JSON.stringify([from, to]))
    if (n) matrix.push({ from, to, accounts: n })
  }
  const used = (tiers: string[], side: 'from' | 'to') => tiers.filter((t) => t !== NO_TIER || matrix.some((m) => m[side] === NO_TIER))
  return {
    accounts,
    matrix,
    currentTiers: used(currentTiers, 'from'),
    candidateTiers: used(candidateTiers, 'to'),
    accountsScored: accounts.length,
    tierChanges: accounts.filter((a) => a.tierChanged).length,
    scoreChanges: accounts.filter((a) => a.change !== 0).length,
  }
}
