import { describe, expect, it } from 'vitest'
import type { AccountState } from '../../processors/playbooks/account-state.js'
import { sameStateButTime } from '../../processors/playbooks/state-equal.js'

const state = (): AccountState => ({
  accountId: 'a1',
  now: 1_000,
  segment: 'SMB',
  csmId: 'csm_1',
  score: 72,
  tier: 'Stable',
  churnProbability: 0.12,
  daysToRenewal: 40,
  seatsActive: 8,
  seatsPurchased: 10,
  signupAt: 500,
  milestones: { setup_completed: 600, training_scheduled: 700 },
  keyFeatures: ['reports.export', 'dashboards.share'],
  featureLastUsed: { 'reports.export': 900 },
  lastPaymentFailedAt: null,
  lastP1TicketAt: 800,
})

/** What the store compared before: the JSON with the time left out. */
const sameJson = (a: AccountState, b: AccountState) => JSON.stringify({ ...a, now: 0 }) === JSON.stringify({ ...b, now: 0 })

describe('sameStateButTime: two states differ in nothing but their time', () => {
  it('ignores the time, and sees a change in every other field (a new field not compared fails here)', () => {
    expect(sameStateButTime(state(), { ...state(), now: 99_999 })).toBe(true)
    const changes: Record<keyof AccountState, unknown> = {
      accountId: 'a2',
      now: undefined,
      segment: 'ENTERPRISE',
      csmId: null,
      score: 71,
      tier: 'At-risk',
      churnProbability: 0.13,
      daysToRenewal: 39,
      seatsActive: 9,
      seatsPurchased: 11,
      signupAt: null,
      milestones: { setup_completed: 600 },
      keyFeatures: ['reports.export'],
      featureLastUsed: { 'reports.export': 901 },
      lastPaymentFailedAt: 950,
      lastP1TicketAt: null,
    }
    // Every field of a state is listed above: a field added to AccountState must be compared too.
    expect(Object.keys(changes).sort()).toEqual(Object.keys(state()).sort())
    for (const [field, value] of Object.entries(changes)) {
      if (field === 'now') continue
      const changed = { ...state(), [field]: value } as AccountState
      expect({ field, same: sameStateButTime(state(), changed) }).toEqual({ field, same: false })
      expect({ field, same: sameStateButTime(changed, state()) }).toEqual({ field, same: false })
    }
  })

  it('compares records by content, lists in order, and a key present on one side only', () => {
    const reordered = { ...state(), milestones: { training_scheduled: 700, setup_completed: 600 } }
    expect(sameStateButTime(state(), reordered)).toBe(true)
    expect(sameStateButTime(state(), { ...state(), keyFeatures: ['dashboards.share', 'reports.export'] })).toBe(false)
    expect(sameStateButTime(state(), { ...state(), featureLastUsed: { 'reports.export': 900, 'dashboards.share': 1 } })).toBe(false)
    expect(sameStateButTime({ ...state(), featureLastUsed: {} }, { ...state(), featureLastUsed: { x: 1 } })).toBe(false)
  })

  it('agrees with comparing the JSON on states that went through JSON (as stored), over many random changes', () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)]
    for (let i = 0; i < 2_000; i++) {
      const a = state()
      const b = JSON.parse(JSON.stringify(state())) as AccountState
      b.now = Math.floor(rand() * 10_000)
      const field = pick(['score', 'tier', 'milestones', 'featureLastUsed', 'lastP1TicketAt', 'none', 'none'] as const)
      if (field === 'score') b.score = pick([72, 73, null])
      if (field === 'tier') b.tier = pick(['Stable', 'Healthy'])
      if (field === 'milestones') b.milestones = pick<Record<string, number>>([{ setup_completed: 600, training_scheduled: 700 }, { setup_completed: 600 }, {}])
      if (field === 'featureLastUsed') b.featureLastUsed = pick<Record<string, number>>([{ 'reports.export': 900 }, { 'reports.export': 1_000 }])
      if (field === 'lastP1TicketAt') b.lastP1TicketAt = pick([800, null])
      expect(sameStateButTime(a, b)).toBe(sameJson(a, b))
    }
  })
})
