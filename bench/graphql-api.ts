// The consumer API at portfolio scale: the account 360 query and a 100-account page sorted by churn risk
// (p50/p99, sequential requests on loopback), and requests/s of a small GraphQL query against a bare Fastify
// route returning the same JSON, in the same run (the ratio is the cost of the GraphQL stack).
// Run: node --import tsx bench/graphql-api.ts [accounts=50000] [days=250] [seconds=15]
//      (BENCH_DATA_DIR=DIR reuses the events of bench/churn-training.ts; scores and a churn model are added once)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { createGraphQLServer } from '../graphql/index.js'
import { ApiKeys, bearer, generateApiKey } from '../runtime/auth/index.js'
import { migrate } from '../migrations/runner.js'
import { readLatestTraining, trainAndPredict } from '../processors/churn/index.js'
import { queryRows } from '../processors/clickhouse-rows.js'
import { createScoreEvents, loadScorecard, scoreAccounts } from '../processors/scoring/index.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { startRedisServer } from '../runtime/redis-server.js'
import { insertSimulated } from '../test/support/simulated.js'

const accounts = Number(process.argv[2] ?? 50_000)
const days = Number(process.argv[3] ?? 250)
const seconds = Number(process.argv[4] ?? 15)
const DAY = 86_400_000
const dataDir = process.env.BENCH_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-api-bench-'))
const clickhouse = createClickHouse({ dataDir })
await migrate(clickhouse)
const seconds1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const stamp = path.join(dataDir, 'loaded-day')
const [{ n }] = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM events')
let endDay = Math.floor(Date.now() / DAY)
if (Number(n) > 0 && fs.existsSync(stamp)) endDay = Number(fs.readFileSync(stamp, 'utf8'))
else {
  const t = Date.now()
  await insertSimulated(clickhouse, { accounts, days, seed: 7, churnRate: 0.3, endDay, seatScale: 0.15 }, { batchSize: 200_000 })
  fs.writeFileSync(stamp, String(endDay))
  console.log(`loaded ${accounts} accounts over ${days} days in ${seconds1(Date.now() - t)}`)
}
const now = endDay * DAY + 12 * 3_600_000
const scorecard = loadScorecard({})
const [{ scored }] = await queryRows<{ scored: string }>(clickhouse, 'SELECT count() AS scored FROM health_scores_latest FINAL')
if (Number(scored) === 0) {
  const t = Date.now()
  const run = await scoreAccounts({ clickhouse, scorecard, publish: () => {}, now: () => now }, { all: true }, now, 'sweep', { live: true })
  console.log(`scored ${run.records.length} accounts in ${seconds1(Date.now() - t)}`)
}
if ((await readLatestTraining(clickhouse))?.status !== 'READY') {
  const t = Date.now()
  const run = await trainAndPredict({ clickhouse, card: scorecard.card, now: () => now }, { horizonDays: 30 })
  console.log(`trained (${run.training.status}) and predicted ${run.predicted} accounts in ${seconds1(Date.now() - t)}`)
}

const redis = await startRedisServer({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-api-bench-redis-')) })
const publishClient = new Redis(redis.url)
const subscribeClient = new Redis(redis.url)
const key = generateApiKey('bench')
const apiKeys = new ApiKeys(undefined, 'bench', new Map([[key.name, { secret: key.secret, scopes: ['read'] }]]))
const headers = { 'content-type': 'application/json', authorization: bearer(key.secret) }
const server = await createGraphQLServer({ apiKeys, clickhouse, scoreEvents: createScoreEvents({ publishClient, subscribeClient, channel: 'bench' }), scorecard })
const url = `${await server.app.listen({ port: 0, host: '127.0.0.1' })}/graphql`
const post = async (query: string, variables: Record<string, unknown> = {}) => {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) })
  const body = (await res.json()) as { errors?: { message: string }[] }
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '))
  return body
}
const percentiles = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] }
}
async function timed(label: string, requests: number, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) await run(i) // warm-up
  const ms: number[] = []
  for (let i = 0; i < requests; i++) {
    const t = performance.now()
    await run(i)
    ms.push(performance.now() - t)
  }
  const p = percentiles(ms)
  console.log(`${label}: p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms (${requests} sequential requests)`)
  return p
}

const ids = (await queryRows<{ account_id: string }>(clickhouse, 'SELECT account_id FROM churn_predictions FINAL ORDER BY cityHash64(account_id) LIMIT 300')).map((r) => r.account_id)
const ACCOUNT_360 = `query($id: ID!) { account(id: $id) { id
  profile { name segment csmId plan mrrCents renewalDate seatsPurchased seatsActive lastActivity openTicketsBySeverity { severity count } latestNps unpaidInvoices }
  healthScore { score tier status coverage components { name measure value points maxPoints weight } drivers { text } trend { change7d direction } nextTier { tier pointsNeeded } }
  churnRisk { status probability revenueAtRisk drivers { feature value contribution } }
  daysInTier usage { day activeUsers logins } featureUsage { feature events } csmActivity(first: 5) { at activity }
  timeline(first: 20) { edges { node { event timestamp properties } } } } }`
const PAGE = `query($after: String) { accounts(first: 100, after: $after, orderBy: { field: CHURN_RISK, direction: DESC }) {
  totalCount pageInfo { endCursor hasNextPage } edges { node { id profile { name mrrCents csmId } healthScore { score tier } churnRisk { probability revenueAtRisk } } } } }`
const account360 = await timed('account(id) 360', 300, (i) => post(ACCOUNT_360, { id: ids[i % ids.length] }))
// Pages walked from the first: every request asks for the next page after the previous cursor (wrapping after 20).
let after: string | null = null
const page = await timed('accounts(first: 100, orderBy: CHURN_RISK DESC) page', 200, async (i) => {
  if (i % 20 === 0) after = null
  const body = (await post(PAGE, { after })) as { data: { accounts: { pageInfo: { endCursor: string } } } }
  after = body.data.accounts.pageInfo.endCursor
})

// GraphQL stack cost: the smallest query (no ClickHouse) against a bare Fastify route with the same answer.
const small = '{ account(id: "acct_bench") { id } }'
const answer = JSON.stringify((await post(small)) as object)
const bare = Fastify()
bare.post('/graphql', async (_req, reply) => reply.type('application/json').send(answer))
const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/graphql`
const load = (target: string) =>
  autocannon({ url: target, connections: 10, duration: seconds, method: 'POST', headers, body: JSON.stringify({ query: small }) })
const bareRun = await load(bareUrl)
const graphqlRun = await load(url)
const rps = (r: autocannon.Result) => r['2xx'] / r.duration
console.log(`small query, ${seconds} s at 10 connections: bare Fastify ${Math.round(rps(bareRun))} req/s (p99 ${bareRun.latency.p99} ms), GraphQL ${Math.round(rps(graphqlRun))} req/s (p99 ${graphqlRun.latency.p99} ms) = ${(rps(graphqlRun) / rps(bareRun)).toFixed(2)}× bare`)
console.log(`goals: 360 p99 < 100 ms (${account360.p99 < 100 ? 'met' : 'missed'}), page p99 < 150 ms (${page.p99 < 150 ? 'met' : 'missed'})`)
await bare.close()
await server.close()
publishClient.disconnect()
subscribeClient.disconnect()
await redis.stop()
await clickhouse.close()
