import { describe, expect, it } from 'vitest'
import { csat, DEFAULT_TARGETS, groupKpis, median, nps, retention, revenueMovement, targetStatus, taskFollowThrough, type AccountKpiInputs } from '../../processors/kpis/index.js'

// The worked examples of ../shared/domain/004 (and docs/KPIS.md).
describe('KPI formulas on their worked examples', () => {
  it('NPS: 100 answers, 60 promoters, 30 passives, 10 detractors → 50; no answers → null', () => {
    expect(nps(60, 30, 10)).toBe(50)
    expect(nps(0, 0, 5)).toBe(-100)
    expect(nps(0, 0, 0)).toBeNull()
  })

  it('CSAT: 80 of 100 ratings are 4–5 → 80 %, with the average rating beside it', () => {
    expect(csat(80, 100, 450)).toEqual({ satisfied: 0.8, average: 4.5 })
    expect(csat(0, 0, 0)).toEqual({ satisfied: null, average: null })
  })

  it('revenue retention: 100,000 start, +15,000 expansion, −5,000 contraction, −10,000 churn → NRR 100 %, GRR 85 %', () => {
    expect(retention(100_000, 15_000, 5_000, 10_000)).toEqual({ net: 1, gross: 0.85 })
    expect(retention(0, 0, 0, 0)).toEqual({ net: null, gross: null })
  })

  it('an account’s revenue movement: expansion, contraction, churn, and nothing for accounts not paying at the start', () => {
    expect(revenueMovement(1000, 1500, false)).toMatchObject({ startAccounts: 1, expansion: 500, contraction: 0, expandedAccounts: 1, churnedAccounts: 0 })
    expect(revenueMovement(1000, 800, false)).toMatchObject({ expansion: 0, contraction: 200, expandedAccounts: 0 })
    expect(revenueMovement(1000, 1000, true)).toMatchObject({ mrrEnd: 0, churnedMrr: 1000, churnedAccounts: 1, expansion: 0 })
    expect(revenueMovement(0, 5000, false)).toMatchObject({ startAccounts: 0, mrrEnd: 0, expansion: 0 })
  })

  it('playbook tasks: 20 due, 15 done by the end, 12 of them by their due date → completion 75 %, adherence 60 %; none due → null', () => {
    expect(taskFollowThrough(20, 15, 12)).toEqual({ completionRate: 0.75, adherence: 0.6 })
    expect(taskFollowThrough(0, 0, 0)).toEqual({ completionRate: null, adherence: null })
  })

  it('time to value is the median days from signup to the milestone', () => {
    expect(median([3, 9, 5])).toBe(5)
    expect(median([3, 9, 5, 7])).toBe(6)
    expect(median([])).toBeNull()
  })

  it('marks each KPI against the sheet’s targets (time to value below, the rest above)', () => {
    expect(DEFAULT_TARGETS).toEqual({ nps: 50, csatAverage: 4.5, timeToValueDays: 7, adoptionRate: 0.8, expansionRate: 0.2, netRevenueRetention: 1 })
    expect(targetStatus('nps', 50)).toBe('MISSED')
    expect(targetStatus('nps', 51)).toBe('MET')
    expect(targetStatus('timeToValueDays', 5)).toBe('MET')
    expect(targetStatus('timeToValueDays', 7)).toBe('MISSED')
    expect(targetStatus('netRevenueRetention', null)).toBe('NO_DATA')
  })

  it('sums accounts into the portfolio, segments and CSM books, and takes the median of their times to value', () => {
    const account = (accountId: string, over: Partial<AccountKpiInputs>): AccountKpiInputs => ({
      accountId, npsPromoters: 0, npsPassives: 0, npsDetractors: 0, csatRatings: 0, csatSatisfied: 0, csatSum: 0, timeToValueDays: [],
      activeUsers: 0, seatsPurchased: 0, activeUsersWithSeats: 0, ...revenueMovement(0, 0, false), tasksDue: 0, tasksDone: 0, tasksDoneOnTime: 0, ...over,
    })
    const inputs = [
      account('a', { tasksDue: 6, tasksDone: 6, tasksDoneOnTime: 5, npsPromoters: 6, npsPassives: 3, npsDetractors: 1, timeToValueDays: [3], seatsPurchased: 10, activeUsersWithSeats: 9, activeUsers: 9, ...revenueMovement(60_000, 75_000, false) }),
      account('b', { tasksDue: 4, tasksDone: 3, tasksDoneOnTime: 2, csatRatings: 10, csatSatisfied: 8, csatSum: 45, timeToValueDays: [9], ...revenueMovement(40_000, 35_000, false) }),
      account('c', { activeUsers: 4, timeToValueDays: [5], ...revenueMovement(10_000, 10_000, true) }),
    ]
    const attributes = new Map([['a', { segment: 'ENTERPRISE', csmId: 'csm_1' }], ['b', { segment: 'SMB', csmId: 'csm_1' }], ['c', { segment: null, csmId: null }]])
    const [portfolio] = groupKpis(inputs, 'PORTFOLIO', attributes)
    expect(portfolio).toMatchObject({ key: 'portfolio', accounts: 3, nps: 50, npsResponses: 10, csat: 0.8, csatAverage: 4.5, timeToValueDays: 5, adoptionRate: 0.9, startAccounts: 3, expandedAccounts: 1, churnedAccounts: 1 })
    // 110,000 start, +15,000 expansion, −5,000 contraction, −10,000 churn.
    expect(portfolio.netRevenueRetention).toBeCloseTo(110_000 / 110_000, 10)
    expect(portfolio.grossRevenueRetention).toBeCloseTo(95_000 / 110_000, 10)
    expect(portfolio.expansionRate).toBeCloseTo(1 / 3, 10)
    expect(portfolio.logoChurnRate).toBeCloseTo(1 / 3, 10)
    expect(groupKpis(inputs, 'SEGMENT', attributes).map((g) => [g.key, g.accounts])).toEqual([['ENTERPRISE', 1], ['SMB', 1], ['UNKNOWN', 1]])
    expect(groupKpis(inputs, 'CSM', attributes).map((g) => [g.key, g.accounts, g.timeToValueDays])).toEqual([['UNASSIGNED', 1, 5], ['csm_1', 2, 6]])
    // csm_1's book: 10 tasks due, 9 done, 7 on time; the unassigned account had none due.
    expect(groupKpis(inputs, 'CSM', attributes).map((g) => [g.key, g.tasksDue, g.taskCompletionRate, g.playbookAdherence])).toEqual([['UNASSIGNED', 0, null, null], ['csm_1', 10, 0.9, 0.7]])
    expect(groupKpis([], 'PORTFOLIO', attributes)).toEqual([expect.objectContaining({ key: 'portfolio', accounts: 0, nps: null, csat: null, timeToValueDays: null, adoptionRate: null, netRevenueRetention: null })])
  })
})
