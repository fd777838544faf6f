import { describe, expect, it } from 'vitest'
import { formatDryRun } from '../../cli/score.js'
import type { HealthScoreRecord } from '../../processors/scoring/account-score.js'
import { compareScorecards } from '../../processors/scoring/dry-run.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { tierOf } from '../../processors/scoring/score.js'

const points5 = loadScorecard({ config: 'points-5' })
const pillars3 = loadScorecard({ config: 'pillars-3' })

function record(card: typeof points5, accountId: string, score: number | null): HealthScoreRecord {
  return {
    accountId, score, tier: score === null ? null : tierOf(card.card.tiers, score).name, status: score === null ? 'INSUFFICIENT_DATA' : 'OK', coverage: score === null ? 0.3 : 1,
  } as HealthScoreRecord
}

describe('scorecard dry run', () => {
  const current = { card: points5.card, records: [record(points5, 'a', 80), record(points5, 'b', 79), record(points5, 'c', 39), record(points5, 'd', null), record(points5, 'e', 65)] }
  const candidate = { card: pillars3.card, records: [record(pillars3, 'a', 71), record(pillars3, 'b', 70), record(pillars3, 'c', 36), record(pillars3, 'd', 50), record(pillars3, 'e', 65)] }
  const run = compareScorecards(current, candidate)

  it('counts every tier move, boundaries included, with INSUFFICIENT_DATA as its own row', () => {
    expect(run.matrix).toEqual([
      { from: 'Healthy', to: 'Green', accounts: 1 }, // 80 → 71
      { from: 'Stable', to: 'Yellow', accounts: 2 }, // 79 → 70, 65 → 65
      { from: 'Critical', to: 'Yellow', accounts: 1 }, // 39 → 36
      { from: 'INSUFFICIENT_DATA', to: 'Yellow', accounts: 1 },
    ])
    expect(run.currentTiers).toEqual(['Healthy', 'Stable', 'At-risk', 'Critical', 'INSUFFICIENT_DATA'])
    expect(run.candidateTiers).toEqual(['Green', 'Yellow', 'Red'])
    expect(run).toMatchObject({ accountsScored: 5, tierChanges: 5, scoreChanges: 4 })
  })

  it('lists tier changes first, then the largest score changes, and leaves unmoved accounts out of the text', () => {
    expect(run.accounts.map((a) => [a.accountId, a.change])).toEqual([['a', -9], ['b', -9], ['c', -3], ['d', null], ['e', 0]])
    const text = formatDryRun({ ...run, asOf: '2026-11-23T12:00:00.000Z', current: { version: 'aaa', source: 'preset points-5' }, candidate: { version: 'bbb', source: 'preset pillars-3' } })
    expect(text).toContain('5 accounts scored: 5 would change tier, 4 would change score.')
    expect(text).toMatch(/now \\ candidate\s+Green\s+Yellow\s+Red\n\s+Healthy\s+1\s+\.\s+\.\n\s+Stable\s+\.\s+2\s+\.\n\s+At-risk\s+\.\s+\.\s+\.\n\s+Critical\s+\.\s+1\s+\.\n\s+INSUFFICIENT_DATA\s+\.\s+1\s+\./)
    expect(text).toMatch(/d\s+— INSUFFICIENT_DATA \(coverage 30%\)\s+50 Yellow\s+tier/)
    expect(text).toMatch(/a\s+80 Healthy\s+71 Green\s+-9\s+tier/)
  })
})
