import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { createScoringQueue, createSweepQueue, loadScorecard, markForScoring, startScoringWorkers, type ScoringWorkers } from '../../processors/scoring/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { activity, insertEvents } from '../support/event-rows.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const DAY = 86_400_000

// The scheduled sweep and the re-score after a scorecard change, run by BullMQ on real Redis against the
// real ClickHouse engine, the way the scoring component runs them.
describe('scheduled sweeps and re-scores through BullMQ', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const prefix = uniqueName('sweep')
  const sweepQueue = createSweepQueue(connection, prefix)
  const running: ScoringWorkers[] = []
  const start = (config: string, sweepEveryMs: number) =>
    startScoringWorkers({ connection, prefix, clickhouse, scorecard: loadScorecard({ config }), sweepQueue, sweepEveryMs, publish: () => {} }).then((w) => (running.push(w), w))
  const rows = (sql: string) => queryRows<Record<string, any>>(clickhouse, sql)

  beforeAll(async () => {
    await migrate(clickhouse)
    const now = Date.now()
    await insertEvents(clickhouse, [
      ...activity('acct_a', { end: now - 60_000, days: 20, users: 3, features: ['reports.export'] }),
      ...activity('acct_b', { end: now - 10 * DAY, days: 5, users: 1, features: ['reports.export'] }),
    ])
  })
  afterAll(async () => {
    await Promise.all(running.map((w) => w.close()))
    await sweepQueue.obliterate({ force: true })
    await connection.del(`${prefix}:pulse-scoring:sources`)
    await sweepQueue.close()
    connection.disconnect()
    await clickhouse.close()
  })

  it('runs the sweep on its cadence: every account scored, with no event to trigger it', async () => {
    const workers = await start('points-5', 1000)
    const scheduler = await sweepQueue.getJobScheduler('health-sweep')
    expect(scheduler?.every).toBe(1000)
    const swept = await eventually('two sweeps over both accounts', async () => {
      const r = await rows("SELECT account_id, count() AS n FROM health_scores WHERE trigger = 'sweep' GROUP BY account_id ORDER BY account_id")
      return r.length === 2 && r.every((x) => Number(x.n) >= 2) ? r : undefined
    })
    expect(swept.map((r) => r.account_id)).toEqual(['acct_a', 'acct_b'])
    await workers.close()
  })

  it('re-scores every account once after a scorecard change, however many processes start with it', async () => {
    const pillars = loadScorecard({ config: 'pillars-3' })
    // Two processes start with the new scorecard at once; the sweep cadence is far away, so what scores now is the re-score.
    await Promise.all([start('pillars-3', 3_600_000), start('pillars-3', 3_600_000)])
    const latest = await eventually('every account re-scored with the new version', async () => {
      const r = await rows('SELECT account_id, scorecard_version AS v FROM health_scores_latest FINAL ORDER BY account_id')
      return r.length === 2 && r.every((x) => x.v === pillars.version) ? r : undefined
    })
    expect(latest.map((r) => r.account_id)).toEqual(['acct_a', 'acct_b'])
    // Once: the re-score job (one per version, whichever process asked first) or the sweep that the changed
    // cadence starts at once, whichever ran first; the other finds every account scored since it was due.
    await new Promise((r) => setTimeout(r, 1000))
    const once = await rows(`SELECT account_id, count() AS n FROM health_scores WHERE scorecard_version = '${pillars.version}' GROUP BY account_id ORDER BY account_id`)
    expect(once.map((r) => Number(r.n))).toEqual([1, 1])
    expect((await sweepQueue.getJobScheduler('health-sweep'))?.every).toBe(3_600_000)
  })

  it('scores marked accounts, and re-scores everyone when the portfolio sends a new kind of event', async () => {
    const scoring = createScoringQueue(connection, prefix)
    try {
      await start('pillars-3', 3_600_000) // the scorecard of the test before: no re-score
      const now = Date.now()
      await insertEvents(clickhouse, activity('acct_c', { end: now - 60_000, days: 3, users: 2, features: ['reports.export'] }))
      await markForScoring(scoring, ['acct_c'], 50)
      const first = await eventually('acct_c scored on its events', async () => {
        const [r] = await rows("SELECT trigger, measures FROM health_scores_latest FINAL WHERE account_id = 'acct_c'")
        return r
      })
      expect(['event', 'sweep']).toContain(first.trigger) // the first kinds ever seen also ask for a sweep
      expect(JSON.parse(first.measures).days_since_csm_touch).toBeNull() // nobody logs CSM touches yet
      // Another account's CSM touch: acct_c has no new event, yet its measure now has data.
      await insertEvents(clickhouse, [{ event: 'csm_activity_logged', accountId: 'acct_d', at: now - 30_000, properties: { csmId: 'csm_1', activity: 'CALL', note: null } }])
      await markForScoring(scoring, ['acct_d'], 50)
      const after = await eventually('acct_c re-scored by the sweep the new source asked for', async () => {
        const [r] = await rows("SELECT trigger, measures FROM health_scores_latest FINAL WHERE account_id = 'acct_c'")
        return r && JSON.parse(r.measures).days_since_csm_touch !== null ? r : undefined
      })
      expect(after.trigger).toBe('sweep')
    } finally {
      await scoring.queue.obliterate({ force: true })
      await scoring.close()
    }
  })
})
