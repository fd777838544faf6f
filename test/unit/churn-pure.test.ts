import { describe, expect, it } from 'vitest'
import { formatBacktest, type ChurnModelAnswer } from '../../cli/churn.js'
import { keyFromEntries } from '../../cli/credentials.js'
import { eta, progressBar, progressLine } from '../../cli/import/progress.js'
import { formatSuggestion } from '../../cli/score-suggest.js'
import { featureNames, featureRow, FEATURE_NAMES } from '../../processors/churn/features.js'
import { toPercentages, weightedScore } from '../../processors/churn/scorecard-suggestion.js'
import { snapshotDates } from '../../processors/churn/snapshots.js'
import { fitStandardizer, standardizeRow } from '../../processors/churn/standardize.js'
import { trainChurnModel, type TrainingRow } from '../../processors/churn/train.js'
import { seededRandom } from '../../runtime/seeded-random.js'

const DAY = 86_400_000

describe('churn features', () => {
  it('derives trends from the measures four weeks earlier, unknown without them', () => {
    const values = { active_days_30d: 10, active_days_7d: 1, logins_30d: 40 }
    const row = featureRow({ values, before: { active_days_30d: 25, logins_30d: 100 }, segment: 'ENTERPRISE', healthScore: 55 })
    const at = (name: string) => row[FEATURE_NAMES.indexOf(name)]
    expect(at('active_days_30d_change_28d')).toBe(-15)
    expect(at('logins_30d_change_28d')).toBe(-60)
    expect(at('usage_trend_7d_vs_30d')).toBeCloseTo(1 / 7 - 10 / 30)
    expect(at('segment_enterprise')).toBe(1)
    expect(at('segment_mid_market')).toBe(0)
    expect(at('health_score')).toBe(55)
    expect(at('nps_90d')).toBeNull()
    const first = featureRow({ values, before: null, segment: null, healthScore: null })
    expect(first[FEATURE_NAMES.indexOf('active_days_30d_change_28d')]).toBeNull()
    expect(featureNames([{ name: 'usage.adoption' }]).at(-1)).toBe('component:usage.adoption')
  })

  it('clips long tails to the training percentiles and scores unknowns as average', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i < 999 ? i % 10 : 1e6, i % 2 ? NaN : 1])
    const s = fitStandardizer(['count', 'flag'], rows)
    expect(s.high[0]).toBe(9)
    expect(standardizeRow(s, [1e6, NaN])[0]).toBeCloseTo(standardizeRow(s, [9, 1])[0])
    expect(standardizeRow(s, [NaN, NaN])[0]).toBe(0)
    expect(standardizeRow(s, [5, 1])[1]).toBe(0) // a constant column carries nothing
  })
})

describe('snapshot dates', () => {
  const now = Date.UTC(2026, 10, 23, 15)
  it('are midnights a week apart, at least 35 days after the first event and a full horizon before now', () => {
    const dates = snapshotDates(Date.UTC(2026, 0, 1), now, { horizonDays: 90, intervalDays: 7, maxSnapshots: 104 })
    expect(dates.every((d) => d % DAY === 0)).toBe(true)
    dates.slice(1).forEach((d, i) => expect(d - dates[i]).toBe(7 * DAY))
    expect(dates[0]).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1) + 35 * DAY)
    expect(dates.at(-1)!).toBeLessThanOrEqual(now - 90 * DAY)
    expect((Date.UTC(2026, 10, 23) - dates.at(-1)!) % (7 * DAY)).toBe(0) // on the grid anchored at today
  })
  it('keep the newest when capped', () => {
    const all = snapshotDates(Date.UTC(2024, 0, 1), now, { horizonDays: 30, intervalDays: 7, maxSnapshots: 1000 })
    const capped = snapshotDates(Date.UTC(2024, 0, 1), now, { horizonDays: 30, intervalDays: 7, maxSnapshots: 26 })
    expect(capped).toEqual(all.slice(-26))
  })
})

describe('honest states', () => {
  const rng = seededRandom(7)
  const rows = (accounts: number, dates: number, churn: (i: number, d: number) => boolean, signal = true): TrainingRow[] =>
    Array.from({ length: accounts * dates }, (_, k) => {
      const i = k % accounts
      const d = Math.floor(k / accounts)
      const label = churn(i, d) ? 1 : 0
      const x = new Float64Array(FEATURE_NAMES.length).map(() => rng.normal())
      if (signal) x[0] = label * 1.5 + rng.normal()
      return { accountId: `a${i}`, asOf: d * 7 * DAY, x, label: label as 0 | 1, healthScore: 50 }
    })
  it('INSUFFICIENT_DATA names the churn events found and needed', () => {
    const t = trainChurnModel(rows(100, 10, (i) => i < 5), { horizonDays: 90, now: 0 })
    expect(t).toMatchObject({ status: 'INSUFFICIENT_DATA', reason: '5 churned accounts in the labeled history; 20 are needed', model: null, backtest: null })
  })
  it('NO_SIGNAL when labels are noise, READY when a feature carries them', () => {
    const noise = trainChurnModel(rows(600, 10, () => rng.chance(0.15), false), { horizonDays: 90, now: 0 })
    expect(noise.status).toBe('NO_SIGNAL')
    expect(noise.backtest!.model.aucLow).toBeLessThan(0.55)
    const signal = trainChurnModel(rows(600, 10, () => rng.chance(0.15)), { horizonDays: 90, now: 0 })
    expect(signal.status, signal.reason).toBe('READY')
    expect(signal.topDrivers[0].feature).toBe(FEATURE_NAMES[0])
  })
})

describe('scorecard suggestion arithmetic', () => {
  it('rounds shares to whole percentages that add up to 100', () => {
    expect(toPercentages([1, 1, 1])).toEqual([34, 33, 33])
    expect(toPercentages([0.2, 0, 0.6])).toEqual([25, 0, 75])
    expect(toPercentages([0, 0])).toEqual([0, 0])
  })
  it('re-normalizes a weighted score over the components with data, as the scorecard does', () => {
    expect(weightedScore([1, 0.5, NaN], [50, 30, 20])).toBeCloseTo((100 * (50 + 15)) / 80)
    expect(weightedScore([NaN], [100])).toBeNull()
  })
})

describe('CLI output', () => {
  it('finds the first backfill-scoped key of PULSE_API_KEYS', () => {
    expect(keyFromEntries('live:secret123:track,import:s3cr:et:track+backfill', 'backfill')).toBe('s3cr:et')
    expect(keyFromEntries('live:secret123', 'backfill')).toBeUndefined()
    // An entry without scopes holds track and read.
    expect(keyFromEntries('admin:secret999:admin,live:secret123', 'read')).toBe('secret123')
    expect(keyFromEntries('admin:secret999:admin,live:secret123', 'admin')).toBe('secret999')
  })
  it('shows import progress with rate and ETA', () => {
    const p = { lines: 5000, accepted: 4990, duplicates: 5, rejected: 5, bytes: 250, totalBytes: 1000, elapsedMs: 2000 }
    expect(eta(p)).toBe(6000)
    expect(progressBar(p, 10)).toBe('[###-------]  25.0 % 5,000 lines · 2,500 events/s · 4,990 accepted · 5 duplicates · 5 rejected · ETA 6s')
    expect(progressLine({ ...p, totalBytes: null })).toBe('import: 5000 lines, 4990 accepted, 5 duplicates, 5 rejected, 2500 events/s')
  })
  const model: ChurnModelAnswer = {
    status: 'READY', reason: 'backtested', version: '90d-abc', horizonDays: 90, trainedAt: '2026-11-23T00:00:00.000Z', accounts: 10, churnEvents: 3,
    snapshots: 8, baseRate: 0.1, brierBaseRate: 0.09, calibrationMethod: 'platt',
    backtest: { rows: 20, accounts: 5, churnEvents: 2, auc: 0.8, aucLow: 0.7, aucHigh: 0.9, brier: 0.08, logLoss: 0.3, calibrationError: 0.02, top10Precision: 0.5, top10Recall: 0.25, calibration: [{ predicted: 0.05, observed: 0.04, accounts: 10 }] },
    healthScoreBacktest: null,
    topDrivers: [{ feature: 'seat_utilization', description: 'Active seats per seat purchased', coefficient: -0.4 }],
  }
  it('prints the backtest as text and as Markdown', () => {
    const text = formatBacktest(model)
    expect(text).toContain('churn model         0.800 (0.700–0.900)  0.080            0.090')
    expect(text).toMatch(/health score alone +n\/a/)
    const md = formatBacktest(model, true)
    expect(md).toContain('| churn model | 0.800 (0.700–0.900) | 0.080 | 0.090 | 0.300 | 0.020 | 50.0 % | 25.0 % |')
    expect(md).toContain('| seat_utilization | -0.400 | Active seats per seat purchased |')
  })
  it('prints a scorecard suggestion with its verdict', () => {
    const text = formatSuggestion({
      version: 'v', status: 'READY', trainedAt: 't', horizonDays: 90,
      scorecardSuggestion: {
        components: [{ name: 'usage', measure: 'active_days_30d', currentWeight: 60, suggestedWeight: 30, auc: 0.6, coverage: 1 }, { name: 'seats', measure: 'seat_utilization', currentWeight: 40, suggestedWeight: 70, auc: 0.7, coverage: 0.5 }],
        current: { auc: 0.65, aucLow: 0.6, aucHigh: 0.7, brier: 0.1 },
        suggested: { auc: 0.75, aucLow: 0.7, aucHigh: 0.8, brier: 0.09 },
        trainRows: 100, testRows: 20,
      },
    })
    expect(text.split('\n')[3]).toMatch(/^ {2}seats +seat_utilization +0\.700 +50 % +40 % +70 %$/)
    expect(text).toContain('The suggested weights rank churners clearly better than the current ones.')
  })
})
