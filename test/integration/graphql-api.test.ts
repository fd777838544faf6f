import { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createGraphQLServer, type GraphQLServer } from '../../graphql/index.js'
import { QUERY_LIMITS, withQueryTimeout } from '../../graphql/protection.js'
import { encodeCursor } from '../../graphql/account-list-query.js'
import { formatHealthReport } from '../../cli/report/health-report.js'
import { formatMetricsReport } from '../../cli/report/metrics-report.js'
import { readHealthReport, readMetricsReport } from '../../cli/report/report-data.js'
import { parseTargets } from '../../processors/kpis/targets.js'
import { migrate } from '../../migrations/runner.js'
import { predictAccounts, readLatestTraining, trainAndPredict } from '../../processors/churn/index.js'
import { createClient as createWsClient } from 'graphql-ws'
import WebSocket from 'ws'
import { insertEvents } from '../support/event-rows.js'
import { createScoreEvents, loadScorecard, scoreAccounts, type ChurnRiskChanged, type HealthScoreChanged, type ScoreEvents } from '../../processors/scoring/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { ApiKeys, basic, bearer } from '../../runtime/auth/index.js'
import { countingClient } from '../support/counting-client.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.now() / DAY)
const NOW = END_DAY * DAY + 12 * 3_600_000

interface Row {
  id: string
  profile: { name: string | null; segment: string | null; csmId: string | null; plan: string | null; mrrCents: number | null } | null
  healthScore: { score: number | null; tier: string | null } | null
  churnRisk: { probability: number | null; revenueAtRisk: number | null } | null
}

const NODE = 'id profile { name segment csmId plan mrrCents } healthScore { score tier } churnRisk { probability revenueAtRisk }'

describe('the consumer API on a scored and predicted portfolio (real ClickHouse engine and Redis)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const counted = countingClient(clickhouse)
  const publishClient = new Redis(inject('redisUrl'))
  const subscribeClient = new Redis(inject('redisUrl'))
  const keysRedis = new Redis(inject('redisUrl'))
  // Keys from configuration (one per scope that matters here) and, in Redis, keys made at run time; no lookup cache,
  // so a revoked key is refused at once.
  const secrets = { reader: 'reader-secret-1', writer: 'writer-secret-1', tracker: 'tracker-secret-1' }
  const apiKeys = new ApiKeys(keysRedis, uniqueName('keys'), new Map([
    ['reader', { secret: secrets.reader, scopes: ['read'] }],
    ['writer', { secret: secrets.writer, scopes: ['read', 'write'] }],
    ['tracker', { secret: secrets.tracker, scopes: ['track', 'backfill'] }],
  ]), 0)
  const endpoint = () => ({ url, authorization: bearer(secrets.reader) })
  let server: GraphQLServer
  let scoreEvents: ScoreEvents
  let url = ''
  let all: Row[] = []
  let truth: { accountId: string; segment: string; churnedAt: string | null }[] = []

  /** Over HTTP with the reader's key unless `authorization` says otherwise (null: none). */
  const request = async (query: string, variables: Record<string, unknown> = {}, authorization: string | null = bearer(secrets.reader)) => {
    const res = await server.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, headers: authorization === null ? {} : { authorization } })
    return { status: res.statusCode, headers: res.headers, body: res.json() as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } }
  }
  const graphql = async (query: string, variables: Record<string, unknown> = {}) => (await request(query, variables)).body
  const page = async (variables: Record<string, unknown> = {}) => {
    const r = await graphql(`query($after: String, $filter: AccountFilter, $orderBy: AccountOrder, $first: Int!) { accounts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { ${NODE} } } } }`, variables)
    if (r.errors) throw new Error(r.errors.map((e) => e.message).join('; '))
    return r.data.accounts as { totalCount: number; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null }; edges: { cursor: string; node: Row }[] }
  }
  /** Every page, following endCursor. */
  const walk = async (variables: Record<string, unknown>) => {
    const rows: Row[] = []
    let after: string | null = null
    for (let pages = 0; pages < 100; pages++) {
      const p = await page({ ...variables, after })
      rows.push(...p.edges.map((e) => e.node))
      expect(p.pageInfo.hasPreviousPage).toBe(after !== null)
      if (!p.pageInfo.hasNextPage) return { rows, total: p.totalCount }
      after = p.pageInfo.endCursor
    }
    throw new Error('more than 100 pages')
  }

  beforeAll(async () => {
    await migrate(clickhouse)
    // The demo's portfolio: enough churn history for a READY model at a 60-day horizon.
    truth = (await insertSimulated(clickhouse, { accounts: 400, days: 180, seed: 1, churnRate: 0.3, endDay: END_DAY })).truth
    const scorecard = loadScorecard({})
    // Sweeps two weeks and one week back, then now: the tier trend has three days of scores.
    for (const t of [NOW - 14 * DAY, NOW - 7 * DAY]) await scoreAccounts({ clickhouse, scorecard, publish: () => {}, now: () => t }, { all: true }, t, 'sweep')
    await scoreAccounts({ clickhouse, scorecard, publish: () => {}, now: () => NOW }, { all: true }, NOW, 'sweep', { live: true })
    const run = await trainAndPredict({ clickhouse, card: scorecard.card, now: () => NOW }, { horizonDays: 60 })
    expect(run.training.status).toBe('READY')
    scoreEvents = createScoreEvents({ publishClient, subscribeClient, channel: uniqueName('scores') })
    server = await createGraphQLServer({ apiKeys, clickhouse: counted.client, scoreEvents, scorecard, logger: pino({ level: 'error' }) })
    all = (await walk({ first: 100 })).rows
    url = `${await server.app.listen({ port: 0, host: '127.0.0.1' })}/graphql`
  }, 240_000)
  afterAll(async () => {
    await server?.close()
    publishClient.disconnect()
    subscribeClient.disconnect()
    keysRedis.disconnect()
    await clickhouse.close()
  })

  it('walks every account exactly once, in id order by default, with totalCount on every page', async () => {
    const first = await page({ first: 7 })
    expect(first.totalCount).toBe(400)
    expect(first.edges).toHaveLength(7)
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort())
    expect(new Set(all.map((r) => r.id)).size).toBe(400)
    expect(all.filter((r) => r.healthScore?.score !== null).length).toBeGreaterThan(300)
    // Past the last page: no edges, the total still right.
    const last = await page({ first: 100, after: encodeCursor({ field: 'ID', direction: 'ASC', value: null, id: all.at(-1)!.id }) })
    expect(last).toMatchObject({ totalCount: 400, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: null } })
    expect(all.filter((r) => r.churnRisk?.probability !== null).length).toBeGreaterThan(150)
  })

  it('orders by churn risk, highest first, accounts without a prediction last, and pages stay stable', async () => {
    const { rows, total } = await walk({ first: 37, orderBy: { field: 'CHURN_RISK', direction: 'DESC' } })
    expect(rows.map((r) => r.id).sort()).toEqual(all.map((r) => r.id))
    expect(total).toBe(400)
    const p = rows.map((r) => r.churnRisk?.probability ?? null)
    const known = p.filter((x) => x !== null) as number[]
    expect(p.slice(0, known.length)).toEqual(known)
    for (let i = 1; i < known.length; i++) expect(known[i]).toBeLessThanOrEqual(known[i - 1])
    // The same cursor answers the same page.
    const one = await page({ first: 5, orderBy: { field: 'CHURN_RISK', direction: 'DESC' } })
    const again = async () => (await page({ first: 5, orderBy: { field: 'CHURN_RISK', direction: 'DESC' }, after: one.pageInfo.endCursor })).edges.map((e) => e.node.id)
    expect(await again()).toEqual(await again())
    expect(await again()).toEqual(rows.slice(5, 10).map((r) => r.id))
  })

  it('orders by revenue at risk and by score ascending', async () => {
    const byRevenue = (await walk({ first: 100, orderBy: { field: 'REVENUE_AT_RISK', direction: 'DESC' } })).rows
    const revenue = byRevenue.map((r) => r.churnRisk?.revenueAtRisk ?? null).filter((x) => x !== null) as number[]
    for (let i = 1; i < revenue.length; i++) expect(revenue[i]).toBeLessThanOrEqual(revenue[i - 1] + 1e-9)
    const byScore = (await walk({ first: 100, orderBy: { field: 'SCORE', direction: 'ASC' } })).rows
    const scores = byScore.map((r) => r.healthScore?.score ?? null).filter((x) => x !== null) as number[]
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThanOrEqual(scores[i - 1])
  })

  it('combines filters: tiers, score and churn ranges, segment and text search, as the rows themselves say', async () => {
    const tier = all.find((r) => r.healthScore?.tier)!.healthScore!.tier!
    const filter = { tiers: [tier], score: { min: 10, max: 90 }, churnProbability: { min: 0.01 } }
    const { rows, total } = await walk({ first: 50, filter })
    const expected = all.filter((r) => r.healthScore?.tier === tier && r.healthScore.score !== null && r.healthScore.score >= 10 && r.healthScore.score <= 90 && (r.churnRisk?.probability ?? -1) >= 0.01)
    expect(expected.length).toBeGreaterThan(0)
    expect(rows.map((r) => r.id)).toEqual(expected.map((r) => r.id))
    expect(total).toBe(expected.length)
    const needle = all[17].id.slice(-3).toUpperCase()
    const found = (await walk({ first: 100, filter: { search: needle } })).rows.map((r) => r.id)
    expect(found).toEqual(all.filter((r) => r.id.toUpperCase().includes(needle) || (r.profile?.name ?? '').toUpperCase().includes(needle)).map((r) => r.id))
    const segment = all.find((r) => r.profile?.segment)?.profile?.segment
    if (segment) {
      const seg = (await walk({ first: 100, filter: { segments: [segment] } })).rows.map((r) => r.id)
      expect(seg).toEqual(all.filter((r) => r.profile?.segment === segment).map((r) => r.id))
    }
  })

  it('reads a page of 100 accounts with profile, score and churn risk in a fixed handful of queries (no N+1)', async () => {
    // The model in force is kept by the process for two seconds (modelInForce), so a page reads it or not
    // depending on the clock: counted apart, at most once a page.
    const cost = async (first: number) => {
      counted.queries.length = 0
      await page({ first })
      const model = counted.queries.filter((q) => q.includes('FROM churn_models')).length
      expect(model).toBeLessThanOrEqual(1)
      return counted.queries.length - model
    }
    const ten = await cost(10)
    const hundred = await cost(100)
    expect(hundred).toBe(ten)
    expect(hundred).toBeLessThanOrEqual(5)
  })

  it('refuses bad arguments with BAD_USER_INPUT and says what was expected', async () => {
    const big = await graphql('{ accounts(first: 500) { totalCount } }')
    expect(big.errors?.[0]).toMatchObject({ message: 'accounts: first must be 1-100, got 500', extensions: { code: 'BAD_USER_INPUT' } })
    const range = await graphql('{ accounts(filter: { churnProbability: { min: 0.9, max: 0.2 } }) { totalCount } }')
    expect(range.errors?.[0].message).toBe('accounts: filter.churnProbability: min 0.9 is above max 0.2')
    const cursor = await graphql('{ accounts(after: "bm90LWEtY3Vyc29y") { totalCount } }')
    expect(cursor.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
    expect(cursor.errors?.[0].message).toMatch(/is not a cursor this API returned/)
    const p = await page({ first: 2, orderBy: { field: 'MRR', direction: 'DESC' } })
    const mixed = await graphql('query($after: String) { accounts(after: $after) { totalCount } }', { after: p.pageInfo.endCursor })
    expect(mixed.errors?.[0].message).toMatch(/cursor comes from a list ordered by MRR DESC, this request orders by ID ASC/)
  })

  it('enforces cost, alias and token limits with clear errors and never sends a stack trace', async () => {
    const full = `accounts(first: 100) { edges { node { ${NODE} healthScore { components { name points } drivers { component } trend { direction } } } } }`
    expect((await graphql(`{ ${full} }`)).errors).toBeUndefined()
    const costly = await graphql(`{ ${Array.from({ length: 5 }, (_, i) => `p${i}: ${full}`).join(' ')} }`)
    expect(costly.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })
    expect(costly.errors?.[0].message).toMatch(new RegExp(`Query Cost limit of ${QUERY_LIMITS.maxCost} exceeded, found \\d+`))
    const aliases = `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: account(id: "x") { id }`).join(' ')} }`
    const manyAliases = await graphql(aliases)
    expect(manyAliases.errors?.[0].message).toMatch(new RegExp(`Aliases limit of ${QUERY_LIMITS.maxAliases} exceeded`))
    expect(manyAliases.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    const tooLong = await request(`{ ${Array.from({ length: QUERY_LIMITS.maxTokens }, () => 'churnModel { status }').join(' ')} }`)
    expect(tooLong.status).toBe(400) // the client's query, refused while parsed: not a server failure
    const tokens = tooLong.body
    expect(tokens.errors?.[0]).toMatchObject({ message: expect.stringContaining(`Document contains more that ${QUERY_LIMITS.maxTokens} tokens`), extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
    expect((await request(`{ ${Array.from({ length: 5 }, (_, i) => `p${i}: ${full}`).join(' ')} }`)).status).toBe(400)
    const unknown = await graphql('{ acount(id: "x") { id } }')
    expect(unknown.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED')
    // No "Did you mean …" suggestions that map the schema for a stranger, and no stack trace anywhere.
    expect(unknown.errors?.[0].message).not.toMatch(/Did you mean/)
    for (const r of [costly, manyAliases, tokens, unknown]) for (const e of r.errors ?? []) expect(e.extensions?.stacktrace).toBeUndefined()
  })

  it('computes KPIs over a period for the portfolio, each segment and each CSM, as the stored events say', async () => {
    // Midnights, so the simulator's cancellation dates compare with the period exactly.
    const from = new Date((END_DAY - 90) * DAY).toISOString()
    const to = new Date(END_DAY * DAY).toISOString()
    const fields = 'key accounts nps npsResponses csat csatAverage csatResponses timeToValueDays adoptionRate expansionRate netRevenueRetention grossRevenueRetention logoChurnRate startAccounts mrrStartCents mrrEndCents expansionCents contractionCents churnedMrrCents churnedAccounts'
    const r = await graphql(`query($from: DateTimeISO, $to: DateTimeISO) { p: kpis(from: $from, to: $to) { ${fields} } s: kpis(from: $from, to: $to, groupBy: SEGMENT) { ${fields} } c: kpis(from: $from, to: $to, groupBy: CSM) { key accounts npsResponses } }`, { from, to })
    expect(r.errors).toBeUndefined()
    const [p] = r.data.p
    // NPS and CSAT straight from the events, counted here another way.
    const [raw] = await clickhouse.query({
      query: `SELECT countIf(event = 'nps_submitted' AND s >= 9) AS pro, countIf(event = 'nps_submitted' AND s <= 6) AS det, countIf(event = 'nps_submitted') AS n,
        countIf(r BETWEEN 4 AND 5) AS sat, countIf(r BETWEEN 1 AND 5) AS ratings
        FROM (SELECT event, JSONExtractInt(properties, 'score') AS s, if(event = 'nps_submitted', 0, JSONExtractInt(properties, event = 'csat_submitted' ? 'score' : 'csat')) AS r
          FROM events FINAL WHERE event IN ('nps_submitted', 'csat_submitted', 'support_ticket_resolved') AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')})`,
      query_params: { from: from.replace('T', ' ').replace('Z', ''), to: to.replace('T', ' ').replace('Z', '') },
      format: 'JSONEachRow',
    }).then((rs) => rs.json<Record<string, string>>())
    expect(Number(raw.n)).toBeGreaterThan(20)
    expect(Number(raw.ratings)).toBeGreaterThan(20)
    expect(p.npsResponses).toBe(Number(raw.n))
    expect(p.nps).toBeCloseTo((100 * (Number(raw.pro) - Number(raw.det))) / Number(raw.n), 10)
    expect(p.csatResponses).toBe(Number(raw.ratings))
    expect(p.csat).toBeCloseTo(Number(raw.sat) / Number(raw.ratings), 10)
    // Revenue adds up, and the accounts that canceled in the period are the simulator's.
    expect(p.mrrEndCents).toBeCloseTo(p.mrrStartCents + p.expansionCents - p.contractionCents - p.churnedMrrCents, 6)
    expect(p.netRevenueRetention).toBeCloseTo(p.mrrEndCents / p.mrrStartCents, 10)
    // Churned accounts are exactly the simulator's cancellations in the period among accounts paying at its start.
    const perAccount = (await graphql(`query($from: DateTimeISO, $to: DateTimeISO) { kpis(from: $from, to: $to, groupBy: ACCOUNT) { key startAccounts churnedAccounts } }`, { from, to })).data.kpis as { key: string; startAccounts: number; churnedAccounts: number }[]
    const paying = new Set(perAccount.filter((a) => a.startAccounts === 1).map((a) => a.key))
    const canceled = truth.filter((t) => t.churnedAt && Date.parse(t.churnedAt) >= Date.parse(from) && Date.parse(t.churnedAt) < Date.parse(to) && paying.has(t.accountId)).map((t) => t.accountId)
    expect(canceled.length).toBeGreaterThan(5)
    expect(perAccount.filter((a) => a.churnedAccounts === 1).map((a) => a.key).sort()).toEqual(canceled.sort())
    expect(p.churnedAccounts).toBe(canceled.length)
    expect(p.logoChurnRate).toBeCloseTo(canceled.length / p.startAccounts, 10)
    expect(p.timeToValueDays).not.toBeNull()
    expect(p.adoptionRate).toBeGreaterThan(0)
    // Groups partition the portfolio.
    const sum = (gs: { accounts: number }[]) => gs.reduce((n, g) => n + g.accounts, 0)
    expect(sum(r.data.s)).toBe(p.accounts)
    expect(sum(r.data.c)).toBe(p.accounts)
    expect(r.data.s.map((g: { key: string }) => g.key).sort()).toEqual([...new Set(truth.map((t) => t.segment))].sort())
    expect(r.data.c.reduce((n: number, g: { npsResponses: number }) => n + g.npsResponses, 0)).toBe(p.npsResponses)
    const bad = await graphql('{ kpis(from: "2026-05-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { nps } }')
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } })
  })

  it('shows the portfolio: tiers now against the period start, the tier trend, revenue at risk, cohorts and KPIs', async () => {
    const from = new Date(NOW - 10 * DAY).toISOString()
    const to = new Date(NOW + 3_600_000).toISOString()
    counted.queries.length = 0
    const r = await graphql(
      `query($from: DateTimeISO, $to: DateTimeISO) { portfolio(from: $from, to: $to) {
        tiers { tier accounts share mrrCents mrrShare previousAccounts previousMrrCents accountsChange mrrChange }
        tierTrend(resolution: DAY) { at tier accounts share mrrCents }
        risk { modelVersion horizonDays accounts mrrCents revenueAtRiskCents forecastNetRetention }
        cohorts { month accounts active averageHealth retained }
        kpis { nps npsResponses startAccounts }
      } kpis(from: $from, to: $to) { nps npsResponses startAccounts } }`,
      { from, to },
    )
    expect(r.errors).toBeUndefined()
    // The tiers at the period's ends and the trend's days in one pass over the daily scores.
    expect(counted.queries.filter((q) => q.includes('FROM health_scores_daily'))).toHaveLength(1)
    const p = r.data.portfolio
    // Straight from the score history: each tier's accounts at a scoring time, less those canceled by statusAt.
    const direct = async (t: number, statusAt = t) => {
      const rows = await clickhouse.query({
        query: `SELECT tier, count() AS n FROM health_scores FINAL WHERE as_of = {t:DateTime64(3, 'UTC')} AND tier != '' AND account_id NOT IN (
            SELECT account_id FROM account_facts WHERE event = 'subscription_updated' AND timestamp <= {statusAt:DateTime64(3, 'UTC')}
            GROUP BY account_id HAVING argMax(JSONExtractString(properties, 'status'), timestamp) = 'CANCELED')
          GROUP BY tier ORDER BY tier`,
        query_params: { t: new Date(t).toISOString().replace('T', ' ').replace('Z', ''), statusAt: new Date(statusAt).toISOString().replace('T', ' ').replace('Z', '') },
        format: 'JSONEachRow',
      }).then((rs) => rs.json<{ tier: string; n: string }>())
      return Object.fromEntries(rows.map((x) => [x.tier, Number(x.n)]))
    }
    const counts = (rows: { tier: string; accounts: number }[]) => Object.fromEntries(rows.filter((x) => x.accounts).map((x) => [x.tier, x.accounts]))
    expect(counts(p.tiers)).toEqual(await direct(NOW))
    expect(Object.fromEntries(p.tiers.filter((x: any) => x.previousAccounts).map((x: any) => [x.tier, x.previousAccounts]))).toEqual(await direct(NOW - 14 * DAY, NOW - 10 * DAY - 1))
    expect(p.tiers.reduce((n: number, x: any) => n + x.share, 0)).toBeCloseTo(1, 10)
    expect(p.tiers.map((x: any) => x.tier).slice(0, 4)).toEqual(loadScorecard({}).card.tiers.map((t) => t.name).slice(0, 4))
    for (const x of p.tiers) expect(x.accountsChange).toBe(x.accounts - x.previousAccounts)
    // The trend: one entry per tier for each day with scores (-14 d is before the period), the same as the history says.
    const days = [...new Set(p.tierTrend.map((x: any) => x.at))] as string[]
    expect(days).toHaveLength(10 + 1)
    const at = (t: number) => p.tierTrend.filter((x: any) => Date.parse(x.at) >= t && Date.parse(x.at) < t + DAY)
    expect(counts(at(NOW - 7 * DAY - 12 * 3_600_000))).toEqual(await direct(NOW - 7 * DAY))
    expect(counts(at(NOW - 12 * 3_600_000))).toEqual(await direct(NOW))
    // Revenue at risk is the accounts' own probability × MRR, summed.
    const perAccount = all.reduce((n, a) => n + (a.churnRisk?.revenueAtRisk ?? 0), 0)
    expect(p.risk.revenueAtRiskCents / 100).toBeCloseTo(perAccount, 2)
    expect(p.risk.forecastNetRetention).toBeCloseTo(1 - p.risk.revenueAtRiskCents / p.risk.mrrCents, 10)
    expect(p.risk.accounts).toBe(all.filter((a) => a.churnRisk?.probability !== null).length)
    expect(p.cohorts.reduce((n: number, c: any) => n + c.accounts, 0)).toBe(400)
    for (const c of p.cohorts) expect(c.retained).toBeCloseTo(c.active / c.accounts, 10)
    expect(p.kpis).toEqual(r.data.kpis[0])
    const segment = await graphql('query($to: DateTimeISO) { portfolio(to: $to, segment: "SMB") { tiers { accounts } cohorts { accounts } } }', { to })
    const smb = truth.filter((t) => t.segment === 'SMB').length
    expect(segment.data.portfolio.cohorts.reduce((n: number, c: any) => n + c.accounts, 0)).toBe(smb)
    expect(segment.data.portfolio.tiers.reduce((n: number, c: any) => n + c.accounts, 0)).toBeLessThanOrEqual(smb)
  })

  it("narrows the portfolio to a CSM's book (the profile's csmId, as kpis groups by CSM), alone and with a segment", async () => {
    const from = new Date(NOW - 10 * DAY).toISOString()
    const to = new Date(NOW + 3_600_000).toISOString()
    // Each CSM's book as the accounts' own profiles say.
    const books = new Map<string, Row[]>()
    for (const a of all) if (a.profile?.csmId) books.set(a.profile.csmId, [...(books.get(a.profile.csmId) ?? []), a])
    const { csms } = (await graphql('{ csms }')).data
    expect(csms).toEqual([...books.keys()].sort())
    expect(csms.length).toBeGreaterThan(3)
    // Straight from the score history: the tiers of these accounts at the last sweep, less those canceled by then.
    const direct = async (ids: string[]) => {
      const rows = await clickhouse.query({
        query: `SELECT tier, count() AS n FROM health_scores FINAL WHERE as_of = {t:DateTime64(3, 'UTC')} AND tier != '' AND account_id IN {ids:Array(String)} AND account_id NOT IN (
            SELECT account_id FROM account_facts WHERE event = 'subscription_updated' AND timestamp <= {t:DateTime64(3, 'UTC')}
            GROUP BY account_id HAVING argMax(JSONExtractString(properties, 'status'), timestamp) = 'CANCELED')
          GROUP BY tier ORDER BY tier`,
        query_params: { t: new Date(NOW).toISOString().replace('T', ' ').replace('Z', ''), ids },
        format: 'JSONEachRow',
      }).then((rs) => rs.json<{ tier: string; n: string }>())
      return Object.fromEntries(rows.map((x) => [x.tier, Number(x.n)]))
    }
    const counts = (rows: { tier: string; accounts: number }[]) => Object.fromEntries(rows.filter((x) => x.accounts).map((x) => [x.tier, x.accounts]))
    const revenueAtRisk = (rows: Row[]) => rows.reduce((n, a) => n + (a.churnRisk?.revenueAtRisk ?? 0), 0)
    const query = `query($from: DateTimeISO, $to: DateTimeISO, $segment: String, $csm: String) {
      portfolio(from: $from, to: $to, segment: $segment, csm: $csm) {
        segment csm tiers { tier accounts } tierTrend(resolution: DAY) { at tier accounts } risk { accounts revenueAtRiskCents } cohorts { accounts }
        kpis { key accounts npsResponses csatResponses startAccounts mrrStartCents mrrEndCents churnedAccounts netRevenueRetention }
      }
      kpis(from: $from, to: $to, groupBy: CSM) { key accounts npsResponses csatResponses startAccounts mrrStartCents mrrEndCents churnedAccounts netRevenueRetention }
    }`
    const portfolioOf = async (variables: { segment?: string; csm?: string }) => {
      const r = await graphql(query, { from, to, ...variables })
      expect(r.errors).toBeUndefined()
      return r.data as { portfolio: any; kpis: any[] }
    }

    // The busiest CSM: every field counts exactly their accounts.
    const [csm, book] = [...books].sort((a, b) => b[1].length - a[1].length)[0]
    const { portfolio: mine, kpis: byCsm } = await portfolioOf({ csm })
    expect(mine).toMatchObject({ segment: null, csm })
    expect(counts(mine.tiers)).toEqual(await direct(book.map((a) => a.id)))
    expect(Object.keys(counts(mine.tiers)).length).toBeGreaterThan(1)
    expect(counts(mine.tierTrend.filter((x: any) => Date.parse(x.at) >= NOW - 12 * 3_600_000))).toEqual(await direct(book.map((a) => a.id)))
    expect(mine.cohorts.reduce((n: number, c: any) => n + c.accounts, 0)).toBe(book.length)
    expect(mine.risk.accounts).toBe(book.filter((a) => a.churnRisk?.probability !== null).length)
    expect(mine.risk.revenueAtRiskCents / 100).toBeCloseTo(revenueAtRisk(book), 2)
    // The KPIs are that CSM's row of kpis(groupBy: CSM), to the cent.
    expect(mine.kpis).toEqual(byCsm.find((g) => g.key === csm))
    expect(mine.kpis.accounts).toBeGreaterThan(0)

    // The books partition the portfolio: every simulated account has a CSM.
    const tiersOf = async (csm?: string) => (await graphql('query($to: DateTimeISO, $csm: String) { portfolio(to: $to, csm: $csm) { tiers { tier accounts } } }', { to, csm })).data.portfolio.tiers as { tier: string; accounts: number }[]
    const whole = await tiersOf()
    const summed: Record<string, number> = {}
    for (const c of csms) for (const t of await tiersOf(c)) summed[t.tier] = (summed[t.tier] ?? 0) + t.accounts
    expect(counts(Object.entries(summed).map(([tier, accounts]) => ({ tier, accounts })))).toEqual(counts(whole))

    // With a segment too: the accounts of both, and no others.
    const segment = book.find((a) => a.profile?.segment)!.profile!.segment!
    const both = book.filter((a) => a.profile?.segment === segment)
    expect(both.length).toBeGreaterThan(0)
    expect(both.length).toBeLessThan(book.length)
    const { portfolio: narrow } = await portfolioOf({ segment, csm })
    expect(narrow).toMatchObject({ segment, csm })
    expect(counts(narrow.tiers)).toEqual(await direct(both.map((a) => a.id)))
    expect(narrow.cohorts.reduce((n: number, c: any) => n + c.accounts, 0)).toBe(both.length)
    expect(narrow.risk.accounts).toBe(both.filter((a) => a.churnRisk?.probability !== null).length)
    expect(narrow.risk.revenueAtRiskCents / 100).toBeCloseTo(revenueAtRisk(both), 2)
    const perAccount = (await graphql('query($from: DateTimeISO, $to: DateTimeISO) { kpis(from: $from, to: $to, groupBy: ACCOUNT) { key npsResponses startAccounts } }', { from, to })).data.kpis as { key: string; npsResponses: number; startAccounts: number }[]
    const ids = new Set(both.map((a) => a.id))
    const theirs = perAccount.filter((g) => ids.has(g.key))
    expect(narrow.kpis).toMatchObject({
      key: `${segment}/${csm}`,
      accounts: theirs.length,
      npsResponses: theirs.reduce((n, g) => n + g.npsResponses, 0),
      startAccounts: theirs.reduce((n, g) => n + g.startAccounts, 0),
    })

    // A CSM with no accounts (the value is a query parameter, never SQL): an empty portfolio, not everyone's.
    const { portfolio: nobody } = await portfolioOf({ csm: "csm_1' OR 1 = 1 --" })
    expect(nobody.tiers.reduce((n: number, t: any) => n + t.accounts, 0)).toBe(0)
    expect(nobody.cohorts).toEqual([])
    expect(nobody.risk.accounts).toBe(0)
    expect(nobody.kpis.accounts).toBe(0)
  })

  it('builds the monthly health report and metric sheet from the API', async () => {
    const month = new Date(NOW).toISOString().slice(0, 7)
    const now = NOW + 3_600_000
    const report = await readHealthReport(endpoint(), month, now)
    const tierOf = new Map(all.map((a) => [a.id, a.healthScore?.tier]))
    expect(report.tiers.map((t) => t.tier)).toEqual(loadScorecard({}).card.tiers.map((t) => t.name))
    expect(report.atRisk.length + report.critical.length).toBeGreaterThan(0)
    for (const a of report.atRisk) expect(tierOf.get(a.id)).toBe(report.atRiskTier)
    for (const a of report.critical) {
      expect(tierOf.get(a.id)).toBe(report.criticalTier)
      expect(a.daysInTier).toBeGreaterThanOrEqual(1)
    }
    const mrr = report.atRisk.map((a) => a.mrrCents ?? -1)
    expect(mrr).toEqual([...mrr].sort((x, y) => y - x))
    const markdown = formatHealthReport(report, 'markdown')
    for (const heading of ['### Overview', '### At-Risk Accounts', '### Critical Accounts', '### Expansion Ready']) expect(markdown).toContain(heading)
    const sheet = await readMetricsReport(endpoint(), month, now, parseTargets('nps=10'))
    const from = new Date(`${month}-01T00:00:00Z`).toISOString()
    const { data } = await graphql('query($from: DateTimeISO, $to: DateTimeISO) { kpis(from: $from, to: $to) { nps adoptionRate netRevenueRetention } }', { from, to: new Date(now).toISOString() })
    expect(sheet.kpis).toMatchObject(data.kpis[0])
    expect(formatMetricsReport(sheet, 'markdown')).toMatch(/\| NPS \| .* \| >10 \| (✅|⚠️|❌|—) \|/)
  })

  it('pushes tier changes, churn risk changes and filters them as asked (graphql-ws over real Redis pub/sub)', async () => {
    const ws = createWsClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, lazy: false, connectionParams: { authorization: bearer(secrets.reader) } })
    await new Promise<void>((resolve, reject) => {
      ws.on('connected', () => resolve())
      ws.on('error', reject)
    })
    const got: Record<string, any[]> = { critical: [], risky: [], one: [] }
    const listen = (key: string, query: string) => ws.subscribe({ query }, { next: (m) => got[key].push(m.data ?? m.errors), error: (e) => got[key].push({ error: e }), complete: () => {} })
    const stops = [
      listen('critical', 'subscription { tierChanged(tiers: ["Critical"]) { accountId tier previousTier tierChanged } }'),
      listen('risky', 'subscription { churnRiskChanged(minProbability: 0.5) { accountId probability previousProbability modelVersion } }'),
      listen('one', `subscription { churnRiskChanged(accountId: "${all[3].id}") { accountId probability } }`),
    ]
    await new Promise((r) => setTimeout(r, 300))
    const score = (accountId: string, previousTier: string, tier: string): HealthScoreChanged => ({
      accountId, score: 30, tier, previousScore: 50, previousTier, status: 'OK', coverage: 1, missing: [], scorecardVersion: 'v', asOf: new Date(NOW).toISOString(),
      computedAt: new Date(NOW).toISOString(), trend: { change7d: null, change30d: null, direction: 'STABLE' }, components: [], drivers: [],
    })
    const risk = (accountId: string, probability: number): ChurnRiskChanged => ({ accountId, probability, previousProbability: 0.1, horizonDays: 60, revenueAtRisk: null, modelVersion: 'm', computedAt: new Date(NOW).toISOString() })
    await scoreEvents.publish(score('acct_x', 'At-risk', 'Critical'))
    await scoreEvents.publish(score('acct_y', 'Critical', 'Critical'))
    await scoreEvents.publish(score('acct_z', 'Healthy', 'Stable'))
    await scoreEvents.publishChurnRisk(risk('acct_x', 0.7))
    await scoreEvents.publishChurnRisk(risk(all[3].id, 0.2))
    await eventually('the pushes', async () => (got.critical.length && got.risky.length && got.one.length ? true : undefined))
    await new Promise((r) => setTimeout(r, 300))
    expect(got.critical).toEqual([{ tierChanged: { accountId: 'acct_x', tier: 'Critical', previousTier: 'At-risk', tierChanged: true } }])
    expect(got.risky).toEqual([{ churnRiskChanged: { accountId: 'acct_x', probability: 0.7, previousProbability: 0.1, modelVersion: 'm' } }])
    expect(got.one).toEqual([{ churnRiskChanged: { accountId: all[3].id, probability: 0.2 } }])
    stops.forEach((stop) => stop())
    await ws.dispose()
  })

  it('announces a re-prediction that moved an account’s churn risk, and stays quiet when nothing moved', async () => {
    const training = await readLatestTraining(clickhouse)
    const card = loadScorecard({}).card
    const id = all.find((a) => a.churnRisk?.probability !== null && a.churnRisk!.probability! < 0.5)!.id
    const announced: ChurnRiskChanged[] = []
    await predictAccounts({ clickhouse, card, publish: (c) => announced.push(c) }, training!.model!, [id], NOW)
    expect(announced).toEqual([])
    // A P1 ticket, an escalation and a failed payment just now: the hidden hazard's drivers.
    await insertEvents(clickhouse, [
      { event: 'support_ticket_opened', accountId: id, at: NOW - 60_000, properties: { ticketId: 'late-p1', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'payment_failed', accountId: id, at: NOW - 30_000, properties: { invoiceId: 'late-inv', amountCents: 1, currency: 'USD', reason: 'CARD_DECLINED', attemptNumber: 3, nextRetryAt: null } },
    ])
    await predictAccounts({ clickhouse, card, publish: (c) => announced.push(c) }, training!.model!, [id], NOW)
    expect(announced).toHaveLength(1)
    const before = all.find((a) => a.id === id)!.churnRisk!.probability!
    expect(announced[0]).toMatchObject({ accountId: id, previousProbability: before, modelVersion: training!.version })
    expect(announced[0].probability).toBeGreaterThan(before + 0.01)
  })

  it('serves the account 360: usage series, feature use, CSM activity, KPIs and a paginated timeline of raw events', async () => {
    const id = all.find((a) => a.healthScore?.score !== null && a.churnRisk?.probability !== null)!.id
    const to = new Date(NOW).toISOString()
    const q = `query($id: ID!, $to: DateTimeISO, $after: String) { account(id: $id) {
      usage(to: $to) { day activeUsers logins features } featureUsage(to: $to) { feature events users }
      csmActivity(first: 5) { at activity csmId durationMinutes notes } kpis(to: $to) { key accounts npsResponses startAccounts }
      timeline(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { messageId event timestamp userId properties source schemaId } } } } }`
    const events: any[] = []
    let first: any
    for (let after: string | null = null, pages = 0; pages < 200; pages++) {
      counted.queries.length = 0
      const r = await graphql(q, { id, to, after })
      // Usage, feature use, CSM activity and the timeline's first read go to ClickHouse as one query.
      if (pages === 0) expect(counted.queries.filter((x) => /FROM (account_daily|events|account_facts) /.test(x) && !x.includes('_part'))).toEqual([])
      expect(r.errors).toBeUndefined()
      first ??= r.data.account
      events.push(...r.data.account.timeline.edges.map((e: any) => e.node))
      if (!r.data.account.timeline.pageInfo.hasNextPage) break
      after = r.data.account.timeline.pageInfo.endCursor
    }
    const count = async (sql: string) => Number((await (await clickhouse.query({ query: sql, query_params: { id, from: new Date(NOW - 30 * DAY).toISOString().replace('T', ' ').replace('Z', ''), to: to.replace('T', ' ').replace('Z', '') }, format: 'JSONEachRow' })).json<{ n: string }>())[0].n)
    expect(events.length).toBe(await count('SELECT count() AS n FROM events FINAL WHERE account_id = {id:String}'))
    expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length)
    const times = events.map((e) => Date.parse(e.timestamp))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    // Small pages (each read first from the two months before its cursor, then whole when they hold too few) walk the same events.
    const small: string[] = []
    for (let after: string | null = null, pages = 0; pages < 4; pages++) {
      const r = await graphql('query($id: ID!, $after: String) { account(id: $id) { timeline(first: 7, after: $after) { pageInfo { endCursor } edges { node { messageId } } } } }', { id, after })
      small.push(...r.data.account.timeline.edges.map((e: any) => e.node.messageId))
      after = r.data.account.timeline.pageInfo.endCursor
    }
    expect(small).toEqual(events.slice(0, 28).map((e) => e.messageId))
    expect(typeof events[0].properties).toBe('object')
    expect(events.every((e) => typeof e.source === 'string' && e.source.startsWith('/') && e.schemaId >= 0)).toBe(true)
    const usage = first.usage as { day: string; activeUsers: number }[]
    expect(usage.length).toBeGreaterThan(10)
    expect(usage.length).toBeLessThanOrEqual(31)
    expect(usage.map((u) => u.day)).toEqual([...usage.map((u) => u.day)].sort())
    const featureEvents = first.featureUsage.reduce((n: number, f: any) => n + f.events, 0)
    expect(featureEvents).toBe(await count("SELECT count() AS n FROM events FINAL WHERE account_id = {id:String} AND event = 'feature_used' AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}"))
    expect(first.kpis).toMatchObject({ key: id, accounts: 1 })
    const csm = first.csmActivity as { at: string }[]
    expect(csm.length).toBe(Math.min(5, await count("SELECT count() AS n FROM events FINAL WHERE account_id = {id:String} AND event = 'csm_activity_logged'")))
    expect(csm.map((c) => c.at)).toEqual([...csm.map((c) => c.at)].sort().reverse())
    const filtered = await graphql('query($id: ID!) { account(id: $id) { timeline(first: 100, events: ["nps_submitted"]) { edges { node { event } } } } }', { id })
    expect(filtered.data.account.timeline.edges.every((e: any) => e.node.event === 'nps_submitted')).toBe(true)
    const badCursor = await graphql('query($id: ID!) { account(id: $id) { timeline(after: "x") { edges { cursor } } } }', { id })
    expect(badCursor.errors?.[0]).toMatchObject({ message: 'timeline: after "x" is not a cursor this API returned', extensions: { code: 'BAD_USER_INPUT' } })
  })

  it('stops a ClickHouse query that runs past the time limit and says so with a TIMEOUT code', async () => {
    const limited = withQueryTimeout(clickhouse, 1000)
    const slow = limited.query({ query: 'SELECT sleepEachRow(0.5) FROM numbers(20) SETTINGS max_block_size = 1', format: 'JSONEachRow' }).then((rs) => rs.json())
    await expect(slow).rejects.toMatchObject({ extensions: { code: 'TIMEOUT' } })
  })
  describe('access: every request needs a key with read, a mutation one with write', () => {
    const QUERY = '{ accounts(first: 1) { totalCount } }'
    const TRAIN = 'mutation { trainChurnModel { status } }'

    it('over HTTP: 401 UNAUTHENTICATED without a key or with an unknown one, 403 FORBIDDEN without the read scope', async () => {
      for (const authorization of [null, bearer('not-a-key'), basic(`reader:${secrets.writer}`), 'Token reader-secret-1']) {
        const r = await request(QUERY, {}, authorization)
        expect(r.status, String(authorization)).toBe(401)
        expect(r.headers['www-authenticate']).toBe('Bearer')
        expect(r.body.data).toBeUndefined()
        expect(r.body.errors![0].extensions!.code).toBe('UNAUTHENTICATED')
      }
      const wrongScope = await request(QUERY, {}, bearer(secrets.tracker))
      expect(wrongScope.status).toBe(403)
      expect(wrongScope.body.errors![0]).toMatchObject({ message: expect.stringContaining('API key "tracker" may not do this: it needs the read scope'), extensions: { code: 'FORBIDDEN' } })
      // Basic auth with the key's name and secret, as Confluent clients send it, and Bearer both read.
      for (const authorization of [bearer(secrets.reader), basic(`reader:${secrets.reader}`)]) {
        const ok = await request(QUERY, {}, authorization)
        expect(ok.status).toBe(200)
        expect(ok.body.data.accounts.totalCount).toBe(400)
      }
    })

    it('over HTTP: a mutation needs write (403 FORBIDDEN before anything runs); with write it reaches the resolver', async () => {
      const refused = await request(TRAIN, {}, bearer(secrets.reader))
      expect(refused.status).toBe(403)
      expect(refused.body.errors![0]).toMatchObject({ message: 'API key "reader" may not run a mutation: it needs the write scope', extensions: { code: 'FORBIDDEN' } })
      // This server has no churn queue: the resolver's own answer shows the access check let it run.
      const allowed = await request(TRAIN, {}, bearer(secrets.writer))
      expect(allowed.body.errors![0]).toMatchObject({ message: expect.stringContaining('churn training is not available'), extensions: { code: 'SERVICE_UNAVAILABLE' } })
    })

    it('takes keys made at run time (stored in Redis) until they are revoked', async () => {
      const { secret } = await apiKeys.create(uniqueName('analyst'), null, ['read'])
      expect((await request(QUERY, {}, bearer(secret))).status).toBe(200)
      const [name] = (await apiKeys.list()).filter((k) => k.name.startsWith('analyst')).map((k) => k.name)
      expect(await apiKeys.revoke(name)).toBe(true)
      expect((await request(QUERY, {}, bearer(secret))).status).toBe(401)
    })

    /** A graphql-ws connection: how it ended (close code and reason) or that it was acknowledged. */
    const connect = async (opts: { connectionParams?: Record<string, unknown>; header?: string }) => {
      const Impl = opts.header === undefined ? WebSocket : class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { authorization: opts.header! } })
        }
      }
      const ws = createWsClient({ url: url.replace('http', 'ws'), webSocketImpl: Impl, lazy: false, retryAttempts: 0, onNonLazyError: () => {}, connectionParams: opts.connectionParams })
      const outcome = await new Promise<{ connected: true } | { code: number; reason: string }>((resolve) => {
        ws.on('connected', () => resolve({ connected: true }))
        ws.on('closed', (e) => resolve({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }))
      })
      return { ws, outcome }
    }

    it('over WebSocket: closes with 4401 without a valid key and 4403 without read; takes the key from connection_init or the upgrade header', async () => {
      for (const connectionParams of [undefined, { authorization: bearer('not-a-key') }]) {
        const { ws, outcome } = await connect({ connectionParams })
        expect(outcome).toMatchObject({ code: 4401, reason: expect.stringContaining('Unauthorized') })
        await ws.dispose()
      }
      const wrongScope = await connect({ connectionParams: { authorization: bearer(secrets.tracker) } })
      expect(wrongScope.outcome).toMatchObject({ code: 4403, reason: 'Forbidden: the API key needs the read scope' })
      await wrongScope.ws.dispose()
      for (const opts of [{ connectionParams: { Authorization: basic(`reader:${secrets.reader}`) } }, { header: bearer(secrets.reader) }]) {
        const { ws, outcome } = await connect(opts)
        expect(outcome).toEqual({ connected: true })
        const result = await new Promise<any>((resolve, reject) => ws.subscribe({ query: QUERY }, { next: resolve, error: reject, complete: () => {} }))
        expect(result.data.accounts.totalCount).toBe(400)
        await ws.dispose()
      }
    })

    it('over WebSocket: a mutation needs write too, and the token limit holds as over HTTP', async () => {
      const run = async (secret: string, query = TRAIN) => {
        const { ws } = await connect({ connectionParams: { authorization: bearer(secret) } })
        try {
          return await new Promise<any>((resolve) => ws.subscribe({ query }, { next: resolve, error: resolve, complete: () => {} }))
        } finally {
          await ws.dispose()
        }
      }
      const refused = await run(secrets.reader)
      expect(refused[0]).toMatchObject({ message: 'API key "reader" may not run a mutation: it needs the write scope', extensions: { code: 'FORBIDDEN' } })
      const allowed = await run(secrets.writer)
      expect(allowed.errors[0]).toMatchObject({ message: expect.stringContaining('churn training is not available'), extensions: { code: 'SERVICE_UNAVAILABLE' } })
      const tooLong = await run(secrets.reader, `{ ${Array.from({ length: QUERY_LIMITS.maxTokens }, () => 'churnModel { status }').join(' ')} }`)
      expect(tooLong[0].message).toContain(`Document contains more that ${QUERY_LIMITS.maxTokens} tokens`)
    })
  })
})
