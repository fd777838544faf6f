import { describe, expect, it } from 'vitest'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { computeScore, tierOf } from '../../processors/scoring/score.js'
import type { MeasureValues } from '../../processors/scoring/measures.js'

const points5 = loadScorecard({ config: 'points-5' }).card
const pillars3 = loadScorecard({ config: 'pillars-3' }).card

/** A points-5 account with every component backed by data. */
const p5 = (v: Partial<MeasureValues>): MeasureValues => ({
  active_days_30d: 30, core_feature_share: 1, support_experience: 'POSITIVE', email_engagements_30d: 10, payment_status: 'CURRENT', ...v,
})
const pointsOf = (values: MeasureValues) => Object.fromEntries(computeScore(points5, values).components.map((c) => [c.name, c.points]))

describe('preset points-5 reproduces the published point tables', () => {
  it('usage: daily active 30 / weekly 20 / monthly 10 / inactive 0', () => {
    expect([20, 15, 14, 4, 3, 1, 0].map((d) => pointsOf(p5({ active_days_30d: d })).usage)).toEqual([30, 30, 20, 20, 10, 10, 0])
  })
  it('feature adoption: all core 25 / most 20 / some 10 / few 5', () => {
    expect([1, 0.8, 0.6, 0.5, 0.3, 0.2, 0].map((s) => pointsOf(p5({ core_feature_share: s })).feature_adoption)).toEqual([25, 20, 20, 10, 10, 5, 5])
  })
  it('support: positive 20 / neutral 15 / negative 5 / escalated 0', () => {
    expect(['POSITIVE', 'NEUTRAL', 'NEGATIVE', 'ESCALATED'].map((s) => pointsOf(p5({ support_experience: s })).support)).toEqual([20, 15, 5, 0])
  })
  it('engagement: high 15 / medium 10 / low 5 / none 0', () => {
    expect([8, 7, 3, 2, 1, 0].map((n) => pointsOf(p5({ email_engagements_30d: n })).engagement)).toEqual([15, 10, 10, 5, 5, 0])
  })
  it('payment: current 10 / minor issues 7 / overdue 3 / failed 0', () => {
    expect(['CURRENT', 'MINOR_ISSUES', 'OVERDUE', 'FAILED'].map((s) => pointsOf(p5({ payment_status: s })).payment)).toEqual([10, 7, 3, 0])
  })
  it('scores the sum of the points, and bands it Healthy 80–100, Stable 60–79, At-risk 40–59, Critical 0–39', () => {
    expect(computeScore(points5, p5({})).score).toBe(100)
    // 30 + 25 + 15 + 10 + 0 = 80 and one point less.
    const at80 = computeScore(points5, p5({ support_experience: 'NEUTRAL', email_engagements_30d: 3, payment_status: 'FAILED' })).score!
    const at79 = computeScore(points5, p5({ support_experience: 'NEUTRAL', email_engagements_30d: 3, payment_status: 'FAILED', core_feature_share: 0.6 })).score!
    expect([at80, at79]).toEqual([80, 75])
    expect([100, 80, 79, 60, 59, 40, 39, 0].map((s) => tierOf(points5.tiers, s).name)).toEqual(['Healthy', 'Healthy', 'Stable', 'Stable', 'At-risk', 'At-risk', 'Critical', 'Critical'])
    expect(tierOf(points5.tiers, 79.4).name).toBe('Stable')
    expect(tierOf(points5.tiers, 79.5).name).toBe('Healthy') // whole scores are banded after rounding
  })
})

describe('preset pillars-3', () => {
  const full: MeasureValues = {
    adoption_rate: 0.8, active_days_30d: 20, core_feature_share: 1, wau_trend: 0, payment_status: 'CURRENT', seat_utilization: 0.9,
    mrr_change_30d: 0.1, tickets_p1_30d: 0, days_since_csm_touch: 10, nps_change_90d: 10, nps_90d: 50, escalations_30d: 0, median_resolution_hours_30d: 4,
  }
  const pillarPoints = (values: MeasureValues, segment: 'ENTERPRISE' | null = null) => {
    const byGroup: Record<string, number> = {}
    for (const c of computeScore(pillars3, values, segment).components) byGroup[c.name.split('.')[0]] = (byGroup[c.name.split('.')[0]] ?? 0) + c.maxPoints
    return Object.fromEntries(Object.entries(byGroup).map(([k, v]) => [k, Math.round(v * 1000) / 1000]))
  }
  it('weighs product 40 %, financial 35 %, support 25 %, and support 40 % for enterprise accounts', () => {
    expect(pillarPoints(full)).toEqual({ product: 40, financial: 35, support: 25 })
    expect(pillarPoints(full, 'ENTERPRISE')).toEqual({ product: 32, financial: 28, support: 40 })
    expect(computeScore(pillars3, full).score).toBeCloseTo(100)
  })
  it('bands Red 0–35, Yellow 36–70, Green 71–100', () => {
    expect([0, 35, 36, 70, 71, 100].map((s) => tierOf(pillars3.tiers, s).name)).toEqual(['Red', 'Red', 'Yellow', 'Yellow', 'Green', 'Green'])
  })
})

describe('missing data', () => {
  it('leaves a component without data out and re-normalizes the other weights', () => {
    const r = computeScore(points5, p5({ email_engagements_30d: null, payment_status: null }))
    expect(r.status).toBe('OK')
    expect(r.coverage).toBeCloseTo(0.75)
    expect(r.missing).toEqual(['engagement', 'payment'])
    // 30 + 25 + 20 of 75 → 100; each component's maximum grows by 100/75.
    expect(r.score).toBeCloseTo(100)
    expect(r.components.find((c) => c.name === 'usage')!.maxPoints).toBeCloseTo(40)
    expect(computeScore(points5, p5({ email_engagements_30d: null, payment_status: null, active_days_30d: 0 })).score).toBeCloseTo(60)
  })
  it('is INSUFFICIENT_DATA below the minimum coverage, naming what is missing, never 0', () => {
    const r = computeScore(points5, { active_days_30d: 0, core_feature_share: null, support_experience: null, email_engagements_30d: null, payment_status: 'FAILED' })
    expect(r).toMatchObject({ status: 'INSUFFICIENT_DATA', score: null, missing: ['feature_adoption', 'support', 'engagement'] })
    expect(r.coverage).toBeCloseTo(0.4)
  })
})
