import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { chTime } from '../../processors/clickhouse-time.js'
import { sparseSql, usageSql } from '../../processors/scoring/measure-query.js'
import { measureValues, type PortfolioInputs } from '../../processors/scoring/measure-values.js'
import { measuresJsonSql, measureValuesSql } from '../../bench/support/in-engine/measure-values-sql.js'
import { MEASURE_NAMES, MEASURES, measureNamed } from '../../processors/scoring/measures.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { seededRandom, type Random } from '../../runtime/seeded-random.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
const AS_OF = Date.UTC(2026, 10, 20, 15, 30, 12, 345)

/** Aggregates as measure-query.ts reads them, zeros common (no tickets, no seats reported, no MRR a month ago). */
function generated(random: Random, accounts: number) {
  const { next, pick } = random
  const int = (max: number, zeroShare = 0.4) => (random.chance(zeroShare) ? 0 : random.int(1, max))
  const usage: Record<string, unknown>[] = []
  const sparse: Record<string, unknown>[] = []
  const firstSeen: { account_id: string; firstSeen: number }[] = []
  for (let i = 0; i < accounts; i++) {
    const account_id = `a${i}`
    firstSeen.push({ account_id, firstSeen: AS_OF - Math.floor(next() * 400 * DAY) })
    if (next() < 0.8) {
      usage.push({
        account_id, asOf: AS_OF, activeDays7: int(7), activeDays30: int(30), activeUsers30: int(40), logins30: int(200), wau: int(20), wau4wAgo: int(20),
        features30: ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'].filter(() => next() < 0.4), emailEngagements30: int(10),
      })
    }
    if (next() < 0.8) {
      const hasSubscription = int(1)
      sparse.push({
        account_id, asOf: AS_OF,
        ticketsOpened30: int(5), ticketsP1_30: int(2, 0.7), ticketsP2_30: int(3), escalations30: int(2, 0.7), resolved30: int(4), medianResolutionMinutes30: int(5000),
        positive30: int(3), neutral30: int(3), negative30: int(2, 0.6), csatCount90: int(4), csatSum90: int(20), csatLow30: int(2, 0.7), csatHigh30: int(2),
        npsCount90: int(4), npsPromoters90: int(2), npsDetractors90: int(2), npsCountPrev: int(4), npsPromotersPrev: int(2), npsDetractorsPrev: int(2),
        lastCsmTouch: next() < 0.3 ? 0 : AS_OF - Math.floor((next() * 200 - 2) * DAY),
        unpaidInvoices: int(2, 0.7), exhaustedInvoices: int(1, 0.85), failedThenPaid90: int(1, 0.7), maxDaysLate90: int(30, 0.6),
        hasSubscription, subscription: hasSubscription ? [int(500_000, 0.1), Math.floor(AS_OF / DAY) + Math.floor(next() * 400 - 30), pick(['ACTIVE', 'PAST_DUE', 'CANCELED', 'TRIALING'])] : [0, 0, ''],
        hasSubscription30Ago: int(1), mrr30Ago: int(500_000, 0.3),
        hasSeats: int(1), seats: [int(50, 0.15), int(50, 0.2)],
        segment: pick(['ENTERPRISE', 'MID_MARKET', 'SMB', 'OTHER', '', 'bogus']),
      })
    }
  }
  return { usage, sparse, firstSeen }
}

// Measures without data for some accounts even when the portfolio sends every source.
const SOMETIMES_WITHOUT_DATA = ['adoption_rate', 'wau_trend', 'median_resolution_hours_30d', 'ticket_sentiment_30d', 'csat_90d', 'nps_90d', 'nps_change_90d', 'days_to_renewal', 'seat_utilization', 'mrr_change_30d', 'seats_purchased', 'seats_active', 'mrr_cents']

const ALL = ['user_login', 'feature_used', 'support_ticket_opened', 'support_ticket_resolved', 'support_ticket_escalated', 'csat_submitted', 'invoice_paid', 'payment_failed', 'email_engaged', 'csm_activity_logged']
const PORTFOLIOS: [string, PortfolioInputs][] = [
  ['every source, five core features', { sources: new Set(ALL), coreFeatures: ['f0', 'f1', 'f2', 'f3', 'f4'] }],
  ['no sparse source, no core features', { sources: new Set(['user_login']), coreFeatures: [] }],
  ['billing and email only, a core feature nobody uses', { sources: new Set(['invoice_paid', 'email_engaged']), coreFeatures: ['f1', 'f9'] }],
]

describe('the measures in SQL are measure-values.ts’s (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const asOfs = [chTime(new Date(AS_OF))]
  beforeAll(async () => {
    await migrate(clickhouse)
    // The aggregates' own types, taken from the queries that produce them.
    await clickhouse.command({ query: `CREATE TABLE usage_rows ENGINE = Memory AS SELECT * FROM (${usageSql('', true)}) LIMIT 0`, query_params: { asOfs } })
    await clickhouse.command({ query: `CREATE TABLE sparse_rows ENGINE = Memory AS SELECT * FROM (${sparseSql('')}) LIMIT 0`, query_params: { asOfs } })
    await clickhouse.command({ query: 'CREATE TABLE first_seen (account_id String, firstSeen Int64) ENGINE = Memory' })
    const data = generated(seededRandom('measure-values-sql'), 3000)
    await clickhouse.insert({ table: 'usage_rows', format: 'JSONEachRow', values: data.usage })
    await clickhouse.insert({ table: 'sparse_rows', format: 'JSONEachRow', values: data.sparse })
    await clickhouse.insert({ table: 'first_seen', format: 'JSONEachRow', values: data.firstSeen })
  })
  afterAll(() => clickhouse.close())

  for (const [label, portfolio] of PORTFOLIOS) {
    it(`${label}: every measure and the segment equal measureValues' for 3,000 generated accounts`, async () => {
      // What the JavaScript path reads, as it reads it.
      const usage = new Map((await queryRows<Record<string, any>>(clickhouse, 'SELECT * FROM usage_rows')).map((r) => [r.account_id, r]))
      const sparse = new Map((await queryRows<Record<string, any>>(clickhouse, 'SELECT * FROM sparse_rows')).map((r) => [r.account_id, r]))
      const accounts = await queryRows<{ account_id: string; firstSeen: string }>(clickhouse, 'SELECT * FROM first_seen ORDER BY account_id')

      const sql = measureValuesSql(portfolio, { usage: 'u.', sparse: 's.', firstSeen: 'a.firstSeen', asOf: '{asOf:Int64}' })
      const rows = await queryRows<Record<string, any>>(
        clickhouse,
        `SELECT *, ${measuresJsonSql((m) => m)} AS measures_json FROM (
           SELECT a.account_id AS account_id, ${MEASURE_NAMES.map((m) => `${sql.measures[m]} AS ${m}`).join(', ')}, ${sql.segment} AS segment
           FROM first_seen AS a LEFT JOIN usage_rows AS u ON u.account_id = a.account_id LEFT JOIN sparse_rows AS s ON s.account_id = a.account_id)
         ORDER BY account_id`,
        { asOf: AS_OF },
      )
      expect(rows).toHaveLength(accounts.length)
      const seen = new Map<string, Set<string>>(MEASURE_NAMES.map((m) => [m, new Set()]))
      rows.forEach((row, i) => {
        const a = accounts[i]
        const expected = measureValues({ accountId: a.account_id, firstSeen: Number(a.firstSeen), usage: usage.get(a.account_id), sparse: sparse.get(a.account_id) }, portfolio, AS_OF)
        const { account_id, segment, measures_json, ...values } = row
        expect(account_id).toBe(a.account_id)
        expect({ values, segment }, `${a.account_id}: ${JSON.stringify({ usage: usage.get(a.account_id), sparse: sparse.get(a.account_id) })}`).toEqual(expected)
        expect(measures_json).toBe(JSON.stringify(Object.fromEntries(MEASURE_NAMES.map((m) => [m, expected.values[m] ?? null]))))
        for (const m of MEASURE_NAMES) seen.get(m)!.add(values[m] === null ? 'null' : 'value')
      })
      // With every source sent, the measures that can lack data reach both branches, so either could fail.
      if (label.startsWith('every')) expect(MEASURE_NAMES.filter((m) => seen.get(m)!.size === 2)).toEqual(MEASURE_NAMES.filter((m) => SOMETIMES_WITHOUT_DATA.includes(m)))
    })
  }

  it('writes the measures as the JSON text JSON.stringify writes of the same values: exponents, −0, infinities, shortest digits', async () => {
    const random = seededRandom('measures-json-sql')
    const edges = [null, 0, 1, -1, 1e-7, -1e-7, 1.5e-10, 0.000001, 1e20, 9.5e20, 1e21, -1e21, 1.7976931348623157e308, 5e-324, 0.1 + 0.2, 1 / 3, -19.666666666666668, 2 ** 53 + 2]
    const drawn = Array.from({ length: 500 }, () => (random.next() - 0.5) * 10 ** random.int(-30, 30))
    const xs = [...edges, ...drawn]
    await clickhouse.command({ query: 'CREATE TABLE numbers_json (i UInt32, v Nullable(Float64)) ENGINE = Memory' })
    await clickhouse.insert({ table: 'numbers_json', format: 'JSONEachRow', values: xs.map((v, i) => ({ i, v })), clickhouse_settings: { precise_float_parsing: 1 } })
    // Values JSON cannot carry: JSON.stringify writes −0 as 0 and the infinities and NaN as null.
    await clickhouse.command({ query: `INSERT INTO numbers_json VALUES (${xs.length}, -0.), (${xs.length + 1}, inf), (${xs.length + 2}, -inf), (${xs.length + 3}, nan)` })
    const all = [...xs, -0, Infinity, -Infinity, NaN]
    const category = (i: number) => (i % 2 ? 'POSITIVE' : null)
    const rows = await queryRows<{ i: number; json: string }>(
      clickhouse,
      `SELECT i, ${measuresJsonSql((m) => (measureNamed(m)!.kind === 'category' ? "if(i % 2 = 1, 'POSITIVE', NULL)" : 'v'))} AS json FROM numbers_json ORDER BY i`,
    )
    expect(rows).toHaveLength(all.length)
    for (const { i, json } of rows) {
      expect(json, `value ${all[i]}`).toBe(JSON.stringify(Object.fromEntries(MEASURES.map((m) => [m.name, m.kind === 'category' ? category(i) : all[i]]))))
    }
  })
})
