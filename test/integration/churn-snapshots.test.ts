import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { trainAndPredict } from '../../processors/churn/index.js'
import { readMeasuresAt, readMeasuresAtEach, readTrainingSet } from '../../processors/churn/snapshots.js'
import { trainChurnModel } from '../../processors/churn/train.js'
import { loadScorecard } from '../../processors/scoring/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.now() / DAY)
const NOW = END_DAY * DAY + 12 * 3_600_000

describe('point-in-time churn snapshots (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const card = loadScorecard({}).card
  const deps = { clickhouse, card }

  beforeAll(async () => {
    await migrate(clickhouse)
    // A portfolio without email or CSM tracking: the first such events after a snapshot must not turn its
    // "no data" into values.
    await insertSimulated(clickhouse, { accounts: 120, days: 200, seed: 21, churnRate: 0.04, endDay: END_DAY, omitEvents: ['email_engaged', 'csm_activity_logged'] })
  }, 120_000)
  afterAll(() => clickhouse.close())

  it('says INSUFFICIENT_DATA with how many churn events there are and how many are needed', async () => {
    const run = await trainAndPredict({ ...deps, now: () => NOW }, { horizonDays: 90 })
    expect(run.training.status).toBe('INSUFFICIENT_DATA')
    expect(run.training.reason).toMatch(/^\d+ churned accounts? in the labeled history; 20 are needed$/)
    expect(run.predicted).toBe(0)
  })

  it('says INSUFFICIENT_DATA when the history is too short for the horizon, naming the snapshots needed', async () => {
    const set = await readTrainingSet(deps, { horizonDays: 160, now: NOW })
    const t = trainChurnModel(set.rows, { horizonDays: 160, now: NOW, components: set.components })
    expect(t.status).toBe('INSUFFICIENT_DATA')
    expect(t.reason).toMatch(/^\d snapshot dates? with a complete 160-day outcome; 5 are needed/)
  })

  it('takes snapshots weekly, never within 35 days of the first event nor within the horizon of now', async () => {
    const set = await readTrainingSet(deps, { horizonDays: 90, now: NOW })
    expect(set.dates.length).toBeGreaterThan(5)
    set.dates.slice(1).forEach((d, i) => expect(d - set.dates[i]).toBe(7 * DAY))
    expect(set.dates[0]).toBeGreaterThanOrEqual(set.firstEvent! + 35 * DAY)
    expect(set.dates.at(-1)!).toBeLessThanOrEqual(NOW - 90 * DAY)
    expect(set.dates.every((d) => d % DAY === 0)).toBe(true)
  })

  it('reads several snapshot dates in one pass exactly as it reads each alone', async () => {
    const set = await readTrainingSet(deps, { horizonDays: 90, now: NOW })
    const dates = set.dates.slice(-3)
    const together = await readMeasuresAtEach(deps, dates, { all: true })
    for (const t of dates) {
      const alone = await readMeasuresAt(deps, t)
      expect(together.get(t)!.size).toBe(alone.size)
      for (const [id, a] of alone) expect(together.get(t)!.get(id), `${id}@${t}`).toEqual(a)
    }
  })

  it('beyond maxRows reads every snapshot of a stable sample of whole accounts, with the features of a full read', async () => {
    const full = await readTrainingSet(deps, { horizonDays: 90, now: NOW })
    const sampled = await readTrainingSet(deps, { horizonDays: 90, now: NOW, maxRows: Math.round(full.rows.length / 3) })
    expect(sampled.accounts).toBe(120)
    expect(sampled.sampled).toBeLessThan(0.5)
    const byKey = (rows: typeof full.rows) => new Map(rows.map((r) => [`${r.accountId}@${r.asOf}`, r]))
    const fullRows = byKey(full.rows)
    const picked = new Set(sampled.rows.map((r) => r.accountId))
    // Roughly the share asked for, and every row of each picked account, nothing else.
    expect(picked.size).toBeGreaterThan(10)
    expect(picked.size).toBeLessThan(70)
    expect(sampled.rows.length).toBe(full.rows.filter((r) => picked.has(r.accountId)).length)
    for (const r of sampled.rows) {
      const f = fullRows.get(`${r.accountId}@${r.asOf}`)!
      expect(Array.from(r.x)).toEqual(Array.from(f.x))
      expect(r.label).toBe(f.label)
    }
    // The same sample every time.
    const again = await readTrainingSet(deps, { horizonDays: 90, now: NOW, maxRows: Math.round(full.rows.length / 3) })
    expect(new Set(again.rows.map((r) => r.accountId))).toEqual(picked)
  })

  it('leaks nothing: events after a snapshot change none of its features', async () => {
    const before = await readTrainingSet(deps, { horizonDays: 90, now: NOW })
    const t = before.dates.at(-1)!
    const accounts = [...new Set(before.rows.filter((r) => r.asOf === t).map((r) => r.accountId))].slice(0, 20)
    // After the snapshot (some within the same day): usage, support, surveys, billing, seats, a new kind of
    // event the portfolio never sent, and cancellations.
    const later = (i: number) => t + 60_000 + i * 3_600_000
    await insertEvents(
      clickhouse,
      accounts.flatMap((accountId, i) => [
        ...Array.from({ length: 5 }, (_, u) => ({ event: 'user_login', accountId, userId: `${accountId}_new${u}`, at: later(u), properties: { method: 'SSO', mfa: false } })),
        { event: 'feature_used', accountId, userId: `${accountId}_new0`, at: later(1), properties: { feature: 'brand.new', durationMs: 1 } },
        { event: 'support_ticket_opened', accountId, at: later(2), properties: { ticketId: `late-${i}`, severity: 'P1', channel: 'EMAIL', category: null } },
        { event: 'support_ticket_escalated', accountId, at: later(3), properties: { ticketId: `late-${i}`, fromLevel: 'L1', toLevel: 'L2', reason: 'OTHER', comment: null } },
        { event: 'nps_submitted', accountId, userId: `${accountId}_u0`, at: later(4), properties: { score: 0, comment: null, surveyId: null } },
        { event: 'payment_failed', accountId, at: later(5), properties: { invoiceId: `late-${i}`, amountCents: 1, currency: 'USD', reason: 'CARD_DECLINED', attemptNumber: 1, nextRetryAt: null } },
        { event: 'seats_updated', accountId, at: later(6), properties: { seatsPurchased: 500, seatsActive: 1, previousSeatsPurchased: null, previousSeatsActive: null } },
        { event: 'csat_submitted', accountId, at: later(7), properties: { score: 1, ticketId: null, touchpoint: null, comment: null } },
        { event: 'email_engaged', accountId, userId: `${accountId}_u0`, at: later(1), properties: { emailId: 'late', campaignId: null, engagement: 'CLICK' } },
        { event: 'csm_activity_logged', accountId, at: later(2), properties: { activity: 'CALL', csmId: 'csm_late', durationMinutes: 30, notes: null } },
        { event: 'subscription_canceled', accountId, at: later(8), properties: { reason: 'PRICE', comment: null, effectiveDate: 0, mrrLostCents: null, currency: null, competitor: null } },
      ]),
    )
    const after = await readTrainingSet(deps, { horizonDays: 90, now: NOW })
    const key = (r: { accountId: string; asOf: number }) => `${r.accountId}@${r.asOf}`
    const featuresAfter = new Map(after.rows.map((r) => [key(r), r]))
    let compared = 0
    for (const r of before.rows) {
      const a = featuresAfter.get(key(r))!
      expect(a, key(r)).toBeDefined()
      expect(Array.from(a.x), key(r)).toEqual(Array.from(r.x))
      expect(a.healthScore).toBe(r.healthScore)
      compared++
    }
    expect(compared).toBe(before.rows.length)
    expect(after.rows.length).toBe(before.rows.length)
    // The labels, on the other hand, see the cancellations: they are the future the snapshot predicts.
    const newlyChurned = after.rows.filter((r) => r.asOf === t && accounts.includes(r.accountId) && r.label === 1).length
    expect(newlyChurned).toBe(accounts.length)
  })
})
