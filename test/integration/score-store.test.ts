import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { scoreAccount } from '../../processors/scoring/account-score.js'
import { loadScorecard } from '../../processors/scoring/index.js'
import { measureValues } from '../../processors/scoring/measure-values.js'
import { insertScores } from '../../processors/scoring/score-store.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

// Recent: health_scores keeps 90 days (its TTL drops older rows as they are written).
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000
const DAY = 86_400_000

// Scores are sent with their measures as values alone; migration 017's view writes them with their names.
describe('scores stored through health_scores_input (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const scorecard = loadScorecard({ config: 'pulse' })
  beforeAll(() => migrate(clickhouse))
  afterAll(() => clickhouse.close())

  const recordOf = (accountId: string, sparse: Record<string, unknown>, usage: Record<string, unknown>) => {
    const portfolio = { sources: new Set(['user_login', 'feature_used', 'support_ticket_opened', 'invoice_paid', 'email_engaged', 'csm_activity_logged']), coreFeatures: ['a', 'b', 'c'] }
    const { values, segment } = measureValues({ accountId, firstSeen: T - 40 * DAY, usage, sparse }, portfolio, T)
    return scoreAccount({ accountId, card: scorecard.card, version: scorecard.version, values, segment, history: { daysAgo: { d7: null, d30: null } }, asOf: T, computedAt: T, trigger: 'sweep' })
  }

  it('keeps every measure under its name, numbers to 6 significant digits, nulls and categories as sent', async () => {
    const busy = recordOf('busy', { ticketsOpened30: 3, escalations30: 1, resolved30: 2, medianResolutionMinutes30: 1234.5678, hasSeats: 1, seats: [30, 7], hasSubscription: 1, subscription: [12345, Math.floor(T / DAY) + 90, 'ACTIVE'], segment: 'SMB' }, { activeDays7: 3, activeDays30: 11, activeUsers30: 7, wau: 5, wau4wAgo: 3, features30: ['a', 'c', 'z'] })
    const quiet = recordOf('quiet', {}, {})
    await insertScores(clickhouse, [busy, quiet])
    const rows = await queryRows<{ account_id: string; measures: string; latest: string; tier: string }>(
      clickhouse,
      'SELECT h.account_id AS account_id, h.measures AS measures, l.measures AS latest, h.tier AS tier FROM health_scores AS h JOIN (SELECT account_id, measures FROM health_scores_latest FINAL) AS l USING account_id ORDER BY account_id',
    )
    expect(rows.map((r) => r.account_id)).toEqual(['busy', 'quiet'])
    for (const [row, record] of [[rows[0], busy], [rows[1], quiet]] as const) {
      const expected = Object.fromEntries(Object.entries(record.measures).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v]))
      expect(JSON.parse(row.measures)).toEqual(expected)
      expect(row.latest).toBe(row.measures)
      expect(row.tier).toBe(record.tier ?? '')
    }
    const busyStored = JSON.parse(rows[0].measures)
    expect(busyStored.median_resolution_hours_30d).toBe(20.5761) // 1234.5678 / 60, 6 digits
    expect(busyStored.support_experience).toBe('ESCALATED')
    expect(busyStored.adoption_rate).toBeCloseTo(7 / 30, 5)
    expect(JSON.parse(rows[1].measures).adoption_rate).toBeNull()
  })

  it('refuses a measure it has no name for, and stores nothing of that insert', async () => {
    const odd = recordOf('odd', {}, {})
    await expect(insertScores(clickhouse, [recordOf('fine', {}, {}), { ...odd, measures: { ...odd.measures, made_up: 1 } }])).rejects.toThrow(/measure "made_up" is not in MEASURE_NAMES/)
    const [{ n }] = await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM health_scores WHERE account_id IN ('fine', 'odd')")
    expect(Number(n)).toBe(0)
  })
})
