import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { modelInForce, readLatestTraining, readModelInForce, trainAndPredict, type TrainingRun } from '../../processors/churn/index.js'
import { insertTraining } from '../../processors/churn/model-store.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { loadScorecard } from '../../processors/scoring/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.now() / DAY)
const NOW = END_DAY * DAY + 12 * 3_600_000

describe('churn model on a portfolio whose cancellations carry no signal (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  let run: TrainingRun

  beforeAll(async () => {
    await migrate(clickhouse)
    await insertSimulated(clickhouse, { accounts: 900, days: 270, seed: 5, churnRate: 0.3, endDay: END_DAY, noSignal: true })
    run = await trainAndPredict({ clickhouse, card: loadScorecard({}).card, now: () => NOW }, { horizonDays: 90 })
  }, 240_000)
  afterAll(() => clickhouse.close())

  it('says NO_SIGNAL with the figures that show it', () => {
    const t = run.training
    expect(t.status, t.reason).toBe('NO_SIGNAL')
    expect(t.churnEvents).toBeGreaterThanOrEqual(20)
    const m = t.backtest!.model
    expect(m.aucLow).toBeLessThan(0.55)
    expect(t.reason).toContain(`AUC ${m.auc.toFixed(3)}`)
    expect(t.reason).toContain(`Brier ${m.brier.toFixed(4)} against ${t.backtest!.brierBaseRate.toFixed(4)}`)
  })

  it('gives no account an invented probability, and keeps the base rate for what it is', async () => {
    expect(run.predicted).toBe(0)
    const [r] = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM churn_predictions')
    expect(Number(r.n)).toBe(0)
    const latest = await readLatestTraining(clickhouse)
    expect(latest!.status).toBe('NO_SIGNAL')
    expect(latest!.baseRate).toBeGreaterThan(0.05)
  })

  it('keeps the model in force for two seconds per process, and sees a training stored through this process at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const first = await modelInForce(clickhouse)
      expect(first).toEqual(await readModelInForce(clickhouse))
      // Another process stores a training: this one goes on with the model it read, for two seconds at most.
      await clickhouse.command({ query: `INSERT INTO churn_models (version, trained_at, horizon_days, status, reason, report, model) SELECT 'elsewhere', fromUnixTimestamp64Milli(toInt64(${NOW + 1000}), 'UTC'), 90, 'NO_SIGNAL', 'stored by another process', '{"baseRate":0.5}', ''` })
      expect(await modelInForce(clickhouse)).toEqual(first)
      vi.advanceTimersByTime(1_999)
      expect(await modelInForce(clickhouse)).toEqual(first)
      vi.advanceTimersByTime(2)
      expect(await modelInForce(clickhouse)).toMatchObject({ version: 'elsewhere', baseRate: 0.5 })
      // Stored through this process: in force for its next request.
      const stored = await insertTraining(clickhouse, { ...run.training, backtest: null, trainedAt: NOW + 2000 })
      expect(await modelInForce(clickhouse)).toMatchObject({ version: stored.version, trainedAt: NOW + 2000 })
    } finally {
      vi.useRealTimers()
    }
  })
})
