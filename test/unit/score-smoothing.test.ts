import { describe, expect, it } from 'vitest'
import { smooth, smoothingWeight, trendOf } from '../../processors/scoring/smoothing.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { computeScore, tierOf } from '../../processors/scoring/score.js'
import { driversOf, nextTierOf } from '../../processors/scoring/explain.js'

const DAY = 86_400_000

describe('smoothing', () => {
  it('moves half way to the raw score per half-life, however often it is updated', () => {
    expect(smoothingWeight(DAY, DAY)).toBeCloseTo(0.5)
    const once = smooth(40, DAY, DAY, 'v', { smoothed: 80, asOf: 0, scorecardVersion: 'v' })
    let s = 80
    for (let t = 1; t <= 24; t++) s = smooth(40, (t * DAY) / 24, DAY, 'v', { smoothed: s, asOf: ((t - 1) * DAY) / 24, scorecardVersion: 'v' })
    expect(once).toBeCloseTo(60)
    expect(s).toBeCloseTo(60)
  })
  it('damps a one-day spike and starts afresh with a new scorecard', () => {
    const dip = smooth(20, 3_600_000, DAY, 'v', { smoothed: 80, asOf: 0, scorecardVersion: 'v' })
    expect(dip).toBeGreaterThan(78)
    expect(smooth(20, 3_600_000, DAY, 'v2', { smoothed: 80, asOf: 0, scorecardVersion: 'v' })).toBe(20)
    expect(smooth(20, 3_600_000, 0, 'v', { smoothed: 80, asOf: 0, scorecardVersion: 'v' })).toBe(20)
  })
  it('reads the direction from the 7-day change, within a stable band', () => {
    expect(trendOf(60, { d7: 70, d30: 90 }, 5)).toEqual({ change7d: -10, change30d: -30, direction: 'DECLINING' })
    expect(trendOf(60, { d7: 57, d30: null }, 5)).toEqual({ change7d: 3, change30d: null, direction: 'STABLE' })
    expect(trendOf(60, { d7: null, d30: 40 }, 5).direction).toBe('IMPROVING')
  })
})

describe('explanations', () => {
  const { card } = loadScorecard({ config: 'points-5' })
  // 10 (monthly active) + 10 (some core features) + 20 + 15 + 10 = 65: Stable, 15 points short of Healthy.
  const values = {
    active_days_30d: 3, core_feature_share: 0.5, core_features: 4, core_features_used: 2, support_experience: 'POSITIVE', email_engagements_30d: 9, payment_status: 'CURRENT',
  }
  const raw = computeScore(card, values)
  it('names the components pulling the score down, biggest loss first', () => {
    expect(raw.score).toBe(65)
    const drivers = driversOf(raw.components, values)
    expect(drivers.map((d) => [d.component, d.lost])).toEqual([['usage', 20], ['feature_adoption', 15]])
    expect(drivers[0].text).toBe('usage: active on 3 of the last 30 days — 10 of 30 points')
  })
  it('says which single change lifts the account into the next tier, and each really does', () => {
    const tier = tierOf(card.tiers, raw.score!)
    expect(tier.name).toBe('Stable')
    const next = nextTierOf(card, raw, values, tier)!
    expect(next).toMatchObject({ tier: 'Healthy', pointsNeeded: 14.5 })
    expect(next.actions.map((a) => a.text)).toEqual([
      'active on 3 of the last 30 days; 12 more active days → Healthy',
      '2 of 4 core features used (50 %); 2 more core features → Healthy',
    ])
    for (const a of next.actions) {
      const lifted = computeScore(card, { ...values, [a.measure]: Number(a.to) })
      expect(tierOf(card.tiers, lifted.score!).name, a.text).toBe('Healthy')
    }
    expect(nextTierOf(card, computeScore(card, { ...values, active_days_30d: 20, core_feature_share: 1 }), values, card.tiers[0])).toBeNull()
    // A category measure reads in its own words.
    const negative = { ...values, active_days_30d: 20, core_feature_share: 1, support_experience: 'NEGATIVE', email_engagements_30d: 0, payment_status: 'CURRENT' }
    const r = computeScore(card, negative) // 30 + 25 + 5 + 0 + 10 = 70: 9.5 short of Healthy
    expect(nextTierOf(card, r, negative, tierOf(card.tiers, r.score!))!.actions.map((a) => a.text)).toEqual([
      'support experience negative; support experience neutral → Healthy',
      '0 email engagements; 3 more email engagements → Healthy',
    ])
  })
})
