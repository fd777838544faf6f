// How fast the console is on a big portfolio: time until the portfolio and an account 360 are on screen in
// Chromium (navigation start → the page's data rendered), against the GraphQL requests behind them timed
// alone in the same run, and the bundle's size. Uses the data set bench/sweep.ts loads (50,000 accounts).
// Run: BENCH_DATA_DIR=/tmp/sweepdata node --import tsx bench/console.ts [rounds=5]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { CONSOLE_DIST } from '../graphql/console-site.js'
import { createGraphQLServer } from '../graphql/index.js'
import { migrate } from '../migrations/runner.js'
import { createScoreEvents, loadScorecard } from '../processors/scoring/index.js'
import { ApiKeys } from '../runtime/auth/index.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { startRedisServer } from '../runtime/redis-server.js'
import { launchChromium } from '../test/support/browser.js'
import { sweepDataSet } from './support/sweep-data.js'

const rounds = Number(process.argv[2] ?? 5)
const { dataDir } = sweepDataSet()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const clickhouse = createClickHouse({ dataDir })
await migrate(clickhouse)
const redisServer = await startRedisServer({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-console-bench-')), host: '127.0.0.1', port: 0 })
const connections = [0, 1, 2].map(() => new Redis(redisServer.url))
const secret = 'console-bench-key'
const apiKeys = new ApiKeys(connections[0], 'bench', new Map([['bench', { secret, scopes: ['read'] }]]), 0)
const scoreEvents = createScoreEvents({ publishClient: connections[1], subscribeClient: connections[2], channel: 'bench-scores' })
const server = await createGraphQLServer({ apiKeys, clickhouse, scoreEvents, scorecard: loadScorecard({ config: 'pulse' }), logger: pino({ level: 'error' }) })
const base = await server.app.listen({ port: 0, host: '127.0.0.1' })

const api = async (query: string, variables: Record<string, unknown> = {}) => {
  const started = performance.now()
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ query, variables }) })
  const body = (await res.json()) as { data: any; errors?: unknown }
  if (body.errors) throw new Error(JSON.stringify(body.errors))
  return { data: body.data, ms: performance.now() - started }
}
const { data: first } = await api('{ accounts(orderBy: { field: SCORE, direction: ASC }, first: 1) { totalCount edges { node { id } } } }')
const accountId = first.accounts.edges[0].node.id as string
// The console's own operations (the first of each page: what puts it on screen), read from its sources, timed
// alone (the baseline).
const source = (file: string) => fs.readFileSync(path.join('console/src/pages', file), 'utf8')
const operation = (file: string) => /`(query [A-Za-z0-9]+[\s\S]*?)`/.exec(source(file))![1]
const from = new Date(Math.floor(Date.now() / 86_400_000 - 30) * 86_400_000).toISOString()

const browser = await launchChromium()
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
const page = await context.newPage()
await page.goto(`${base}/console/#key=${secret}`)
const seenBy: Record<string, number[]> = { portfolio: [], account: [], accounts: [] }
/**
 * Milliseconds from navigation until the page's data was painted, as the page itself marks it (User Timing
 * `pulse:<name>-shown`, set the frame after the data rendered), and until the driver saw the element (polling
 * from this process: on two cores busy with the server's next queries it notices late, so it is an upper bound).
 */
const timePage = async (name: string, hash: string, ready: string, settled?: string) => {
  // A fresh document each time (no in-page state), the browser cache warm as a returning user's.
  await page.goto('about:blank')
  const started = Date.now()
  await page.goto(`${base}/console/${hash}`)
  await page.locator(ready).first().waitFor({ timeout: 60_000 })
  const seen = Date.now() - started
  const mark = `pulse:${name}-shown`
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 60_000 })
  const shown = await page.evaluate((m) => Math.round(performance.getEntriesByName(m)[0].startTime), mark)
  // Let the page's later requests finish, so they do not weigh on the next measurement.
  if (settled) await page.locator(settled).first().waitFor({ timeout: 60_000 })
  seenBy[name].push(seen)
  return shown
}
const rows: Record<string, { page: number[]; api: number[] }> = { portfolio: { page: [], api: [] }, account: { page: [], api: [] }, accounts: { page: [], api: [] } }
for (let i = 0; i < rounds; i++) {
  rows.portfolio.api.push((await api(operation('portfolio.tsx'), { segment: null, from })).ms)
  rows.portfolio.page.push(await timePage('portfolio', '#/portfolio', 'table[aria-label="Accounts by health tier"] tbody tr', 'table[aria-label="KPIs against targets"] tbody tr'))
  rows.accounts.api.push((await api(operation('accounts.tsx'), { filter: { tiers: null, segments: null, search: null }, orderBy: { field: 'ID', direction: 'ASC' }, after: null })).ms)
  rows.accounts.page.push(await timePage('accounts', '#/accounts', 'table[aria-label="Accounts"] tbody tr'))
  rows.account.api.push((await api(operation('account.tsx'), { id: accountId })).ms)
  rows.account.page.push(await timePage('account', `#/account?id=${encodeURIComponent(accountId)}`, '[data-field=score]'))
  console.log(`round ${i + 1}: ${Object.entries(rows).map(([k, v]) => `${k} ${v.page.at(-1)} ms (API ${Math.round(v.api.at(-1)!)} ms)`).join(', ')}`)
}
const assets = fs.readdirSync(path.join(CONSOLE_DIST, 'assets')).map((f) => fs.readFileSync(path.join(CONSOLE_DIST, 'assets', f)))
const raw = assets.reduce((n, b) => n + b.length, 0)
const gzip = assets.reduce((n, b) => n + zlib.gzipSync(b).length, 0)
console.log(`
| ${first.accounts.totalCount.toLocaleString()} accounts, median of ${rounds} | on screen in Chromium (ms, the page's mark) | seen by the driver (ms) | its GraphQL request alone (ms, baseline) | on screen × baseline |
| --- | ---: | ---: | ---: | ---: |
${Object.entries(rows).map(([k, v]) => `| ${k} | ${median(v.page)} | ${median(seenBy[k])} | ${Math.round(median(v.api))} | ${(median(v.page) / median(v.api)).toFixed(2)} |`).join('\n')}
bundle: ${(raw / 1024).toFixed(0)} KB (${(gzip / 1024).toFixed(0)} KB gzip), ${assets.length} files`)

await browser.close()
await server.close()
for (const c of connections) c.disconnect()
await redisServer.stop()
await clickhouse.close()
