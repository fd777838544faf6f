import { describe, expect, it } from 'vitest'
import { computeHealthScore, tierOf } from '../../processors/health-score.js'

describe('computeHealthScore', () => {
  it('is 0 for an account with no activity and 100 at saturation', () => {
    expect(computeHealthScore({ events: 0, activeUsers: 0, activeDays: 0, distinctFeatures: 0 })).toEqual({ score: 0, tier: 'AT_RISK' })
    expect(computeHealthScore({ events: 999, activeUsers: 10, activeDays: 20, distinctFeatures: 5 })).toEqual({ score: 100, tier: 'HEALTHY' })
  })

  it('grows with breadth of use', () => {
    const base = { events: 50, activeUsers: 2, activeDays: 5, distinctFeatures: 1 }
    const a = computeHealthScore(base).score
    expect(computeHealthScore({ ...base, activeUsers: 6 }).score).toBeGreaterThan(a)
    expect(computeHealthScore({ ...base, activeDays: 15 }).score).toBeGreaterThan(a)
    expect(computeHealthScore({ ...base, distinctFeatures: 4 }).score).toBeGreaterThan(a)
  })

  it('cannot be bought with raw event volume alone', () => {
    expect(computeHealthScore({ events: 10_000_000, activeUsers: 1, activeDays: 1, distinctFeatures: 0 }).tier).toBe('AT_RISK')
  })

  it('bands scores into tiers', () => {
    expect([0, 39, 40, 69, 70, 100].map(tierOf)).toEqual(['AT_RISK', 'AT_RISK', 'NEUTRAL', 'NEUTRAL', 'HEALTHY', 'HEALTHY'])
  })
})
