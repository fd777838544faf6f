import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { readLatestTraining, readPredictions, trainAndPredict } from '../../processors/churn/index.js'
import { auc } from '../../processors/churn/metrics.js'
import { readTrainingSet } from '../../processors/churn/snapshots.js'
import { trainChurnModel, type ChurnTraining } from '../../processors/churn/train.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { loadScorecard } from '../../processors/scoring/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import type { AccountTruth } from '../../cli/simulate/portfolio.js'
import { tempDir } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.now() / DAY)
// Midday of the day after the history: the snapshot grid is then the same on every run.
const NOW = END_DAY * DAY + 12 * 3_600_000
const HORIZON = 90

describe('churn model on a simulated portfolio with signal (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const card = loadScorecard({}).card
  let truth: AccountTruth[]
  let training: ChurnTraining

  beforeAll(async () => {
    await migrate(clickhouse)
    ;({ truth } = await insertSimulated(clickhouse, { accounts: 1500, days: 270, seed: 11, churnRate: 0.3, endDay: END_DAY, horizonDays: HORIZON }))
    const set = await readTrainingSet({ clickhouse, card }, { horizonDays: HORIZON, now: NOW })
    training = trainChurnModel(set.rows, { horizonDays: HORIZON, now: NOW, components: set.components })
  }, 240_000)
  afterAll(() => clickhouse.close())

  it('is READY, backtested on accounts and weeks it did not train on', () => {
    expect(training.status, training.reason).toBe('READY')
    const { folds, model } = training.backtest!
    expect(folds.train.to).toBeLessThan(folds.calibrate.from)
    expect(folds.calibrate.to).toBeLessThan(folds.test.from)
    expect(model.churnEvents).toBeGreaterThanOrEqual(30)
  })

  it("ranks held-out accounts within 0.03 AUC of the simulator's true probabilities", () => {
    const { predictions } = training.backtest!
    const truthOf = new Map(truth.map((t) => [t.accountId, t.probabilities]))
    const trueP = predictions.map((p) => truthOf.get(p.accountId)![new Date(p.asOf).toISOString().slice(0, 10)])
    expect(trueP.every((p) => typeof p === 'number')).toBe(true)
    const labels = predictions.map((p) => p.label)
    const modelAuc = auc(predictions.map((p) => p.probability), labels)
    const trueAuc = auc(trueP, labels)
    expect(trueAuc).toBeGreaterThan(0.7)
    expect(Math.abs(modelAuc - trueAuc)).toBeLessThanOrEqual(0.03)
  })

  it('is calibrated on held-out data: expected calibration error under 0.05, and skill over the base rate', () => {
    const b = training.backtest!
    expect(b.model.calibrationError).toBeLessThan(0.05)
    expect(b.model.brier).toBeLessThan(b.brierBaseRate)
    // Deciles rise with predicted risk, and the riskiest decile churns far more than the safest.
    const bins = b.model.calibration
    expect(bins).toHaveLength(10)
    expect(bins[9].observed).toBeGreaterThan(3 * bins[0].observed)
  })

  it('reports the health score alone on the same accounts, and the model is at least as good', () => {
    const hs = training.backtest!.healthScore!
    expect(hs.rows).toBeGreaterThan(0)
    expect(hs.auc).toBeGreaterThan(0.5)
    expect(training.backtest!.model.auc).toBeGreaterThanOrEqual(hs.auc - 0.02)
  })

  it('suggests scorecard weights from the same history that rank churners at least as well as the current ones', () => {
    const s = training.scorecardSuggestion!
    expect(s.components.reduce((sum, c) => sum + c.suggestedWeight, 0)).toBe(100)
    // The simulator's hazard runs through adoption and seats: those components predict on their own.
    const byMeasure = new Map(s.components.map((c) => [c.measure, c]))
    expect(byMeasure.get('seat_utilization')!.auc).toBeGreaterThan(0.6)
    expect(byMeasure.get('seat_utilization')!.suggestedWeight).toBeGreaterThan(byMeasure.get('seat_utilization')!.currentWeight)
    expect(s.suggested!.auc).toBeGreaterThanOrEqual(s.current!.auc - 0.01)
  })

  it("computes the same AUC as ClickHouse's arrayAUC", async () => {
    const { predictions } = training.backtest!
    const [r] = await queryRows<{ auc: number }>(clickhouse, 'SELECT arrayAUC({scores:Array(Float64)}, {labels:Array(UInt8)}) AS auc', {
      scores: predictions.map((p) => p.probability),
      labels: predictions.map((p) => p.label),
    })
    expect(auc(predictions.map((p) => p.probability), predictions.map((p) => p.label))).toBeCloseTo(Number(r.auc), 9)
  })

  it('serves every active account a probability, its drivers and its revenue at risk, with the model version', async () => {
    const run = await trainAndPredict({ clickhouse, card, now: () => NOW }, { horizonDays: HORIZON })
    expect(run.training.status).toBe('READY')
    const active = truth.filter((t) => t.churnedAt === null).map((t) => t.accountId)
    expect(run.predicted).toBe(active.length)
    const latest = await readLatestTraining(clickhouse)
    expect(latest!.version).toBe(run.training.version)
    const predictions = await readPredictions(clickhouse, active.slice(0, 50))
    expect(predictions.size).toBe(50)
    for (const p of predictions.values()) {
      expect(p.modelVersion).toBe(run.training.version)
      expect(p.probability).toBeGreaterThan(0)
      expect(p.probability).toBeLessThan(1)
      expect(p.drivers.length).toBeGreaterThan(0)
      expect(p.mrrCents).toBeGreaterThan(0)
    }
    // Accounts the simulator made riskier get higher predictions, on average.
    const truthNow = new Map(truth.map((t) => [t.accountId, t.probabilities[new Date(END_DAY * DAY).toISOString().slice(0, 10)]]))
    const all = await readPredictions(clickhouse, active)
    const pairs = [...all.values()].map((p) => [p.probability, truthNow.get(p.accountId)!] as const)
    const risky = pairs.filter(([, t]) => t > 0.3)
    const safe = pairs.filter(([, t]) => t < 0.1)
    const mean = (xs: (readonly [number, number])[]) => xs.reduce((s, [p]) => s + p, 0) / xs.length
    expect(mean(risky)).toBeGreaterThan(2 * mean(safe))
  })
})
