// What the playbooks cost: rule evaluation after each sweep over every account against the sweep itself, in
// the same run on the same data, and webhook deliveries/s to a local receiver against plain POSTs of the same
// bodies. Uses the data set bench/sweep.ts loads (run it first with the same BENCH_DATA_DIR) and a local
// redis-server.
// Run: BENCH_DATA_DIR=/tmp/sweepdata node --import tsx bench/playbooks.ts [rounds=4 (pairs)] [deliveries=5000]
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { migrate } from '../migrations/runner.js'
import { queryRows } from '../processors/clickhouse-rows.js'
import { createPlaybookRunner, EpisodeStore, readPlaybookFacts, createWebhookQueue, createWebhookWorker, enqueueDeliveries, loadRules, webhookBody, type DeliveryEndpoint, type PlannedAlert, type SweepReport } from '../processors/playbooks/index.js'
import { loadScorecard, scoreAccounts } from '../processors/scoring/index.js'
import { portfolioReader } from '../processors/scoring/measure-query.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { startRedisServer } from '../runtime/redis-server.js'
import { sweepDataSet } from './support/sweep-data.js'

const rounds = Number(process.argv[2] ?? 4)
const deliveries = Number(process.argv[3] ?? 5000)
const { dataDir, loadedAt } = sweepDataSet()
const clickhouse = createClickHouse({ dataDir })
await migrate(clickhouse)
const redisServer = await startRedisServer({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-playbooks-bench-')), host: '127.0.0.1', port: 0 })
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20)
const redisMb = async () => Math.round(Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]) / 2 ** 20)
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]

// --- Rules on the sweep -------------------------------------------------------------------------------
const scorecard = loadScorecard({ config: 'pulse' })
const { rules } = loadRules({ scorecard: scorecard.card, config: 'default' })
const portfolio = portfolioReader(clickhouse)
// Deployed before every account, so every rule is evaluated for real (nothing primed).
await new EpisodeStore(redis, 'bench').deploy(rules.rules.map((r) => r.id), 0)
const runner = await createPlaybookRunner({ clickhouse, redis, prefix: 'bench', rules })
const [{ last }] = await queryRows<{ last: string }>(clickhouse, 'SELECT toUnixTimestamp64Milli(max(as_of)) AS last FROM health_scores')
const first = Math.max(loadedAt, Number(last) + 3_600_000)
// Rounds alternate: a sweep alone (the baseline), then a sweep with the rules as the scoring worker runs them
// (evaluated after it), each an hour after the one before. Round 1
// (with rules) is every account's first evaluation; the medians are of the rounds after it.
const sweepSummary = (s: SweepReport | null) => (s ? `accounts quiet ${s.quiet}, evaluated ${s.evaluated} (${s.ruleRuns} rule runs), written ${s.written}, facts read for ${s.factsRead}${s.featuresAdded ? ` (and ${s.featuresAdded} new key features for all)` : ''}` : '')
let lastKeyFeatures: string | null = null
const bare: number[] = []
const withRules: { total: number; sweep: number; rules: number; facts: number; accounts: number; actions: number }[] = []
for (let round = 0; round < rounds * 2; round++) {
  const t = first + round * 3_600_000
  const rules = round % 2 === 0
  const began = Date.now()
  const run = await scoreAccounts({ clickhouse, scorecard, portfolio, publish: () => {} }, { all: true }, t, 'sweep', { live: true })
  const swept = Date.now()
  if (!rules) {
    bare.push(swept - began)
    console.log(`round ${round + 1} (as of ${new Date(t).toISOString().slice(0, 16)}): sweep alone ${swept - began} ms (${run.records.length} accounts); RSS ${rss()} MB`)
    continue
  }
  // The portfolio's top features (the default scorecard's key features) can change between sweeps; every
  // account's state changes with them.
  const featuresMoved = lastKeyFeatures !== null && lastKeyFeatures !== run.keyFeatures.join(',')
  lastKeyFeatures = run.keyFeatures.join(',')
  const actions = await runner.afterScoring({ records: run.records, keyFeatures: run.keyFeatures })
  const evaluated = Date.now()
  // The facts read on its own (the same scans), to say where the rules' time goes.
  await readPlaybookFacts(clickhouse, 'all', t, run.keyFeatures, 30 * 86_400_000)
  const facts = Date.now() - evaluated
  withRules.push({ total: evaluated - began, sweep: swept - began, rules: evaluated - swept, facts, accounts: run.records.length, actions: actions.length })
  console.log(`round ${round + 1} (as of ${new Date(t).toISOString().slice(0, 16)}): sweep with rules ${evaluated - began} ms = sweep ${swept - began} + evaluation after it ${evaluated - swept} (${actions.length} actions queued; ${sweepSummary(runner.lastSweep)}${featuresMoved ? `; key features now ${lastKeyFeatures}` : ''}); facts read alone ${facts} ms; RSS ${rss()} MB, Redis ${await redisMb()} MB`)
}
const steady = withRules.slice(1)
const bareMs = median(bare)
const totalMs = median(steady.map((r) => r.total))
const afterMs = median(steady.map((r) => r.rules))
const factsMs = median(steady.map((r) => r.facts))
const accountsN = withRules[0].accounts
// Each steady sweep with rules against the mean of the bare sweeps either side of it: the machine's speed drifts
// over minutes, and a difference of medians taken across the whole run carries that drift.
const paired = median(steady.map((r, i) => {
  const around = (bare[i] + bare[i + 1]) / 2
  return (r.total - around) / around
}))
console.log(`
| ${accountsN.toLocaleString()} accounts, default rules (${rules.rules.length}); medians of ${bare.length} bare sweeps and of the ${steady.length} steady sweeps with rules | ms | × bare sweep |
| --- | ---: | ---: |
| sweep without rules (baseline) | ${bareMs} | 1.00 |
| sweep with rules, whole | ${totalMs} | ${(totalMs / bareMs).toFixed(2)} |
| — rules' added time (whole − baseline) | ${totalMs - bareMs} | ${((totalMs - bareMs) / bareMs).toFixed(2)} |
| — the same, each sweep with rules against the bare sweeps either side of it (median) | | ${paired.toFixed(2)} |
| — rules after the sweep (facts read, states, Redis read, rules, writes) | ${afterMs} | ${(afterMs / bareMs).toFixed(2)} |
| (every account's facts read afresh, measured alone: what keeping them between sweeps saves) | ${factsMs} | ${(factsMs / bareMs).toFixed(2)} |
| first sweep with rules (every account's first evaluation: ${withRules[0].actions.toLocaleString()} actions queued) | ${withRules[0].total} | ${(withRules[0].total / bareMs).toFixed(2)} |
per scored account in a steady sweep: ${(((totalMs - bareMs) / accountsN) * 1000).toFixed(0)} µs added; Redis after: ${await redisMb()} MB (${(((await redisMb()) * 2 ** 20) / accountsN / 1024).toFixed(1)} KB/account incl. the queued actions)`)

// --- Webhook deliveries/s -----------------------------------------------------------------------------
let received = 0
const receiver = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    received++
    res.writeHead(204).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
const alert = (i: number): PlannedAlert => ({
  type: 'alert', key: `bench/${i}`, ruleId: 'score-below-60', ruleName: 'Health score dropped below 60', target: { type: 'account', accountId: `acct_${i}` },
  severity: 'warning', title: 'Health score dropped below 60', why: ['score 58, below 60'], to: 'csm_1', toRole: 'csm', channels: ['crm'], firedAt: Date.now(),
  context: { score: 58, previousScore: 64, tier: 'At-risk', previousTier: 'Stable', drivers: ['usage.adoption: 6 of 20 seats active (30 %) — 4.1 of 14.3 points'] },
})
// Baseline: the same bodies POSTed straight, 8 at a time (the worker's concurrency), no queue, no signature.
const bodies = Array.from({ length: deliveries }, (_, i) => JSON.stringify(webhookBody(alert(i), `dlv_${i}`)))
let next = 0
const plainStart = Date.now()
await Promise.all(Array.from({ length: 8 }, async () => {
  while (next < bodies.length) await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[next++] })).arrayBuffer()
}))
const plainMs = Date.now() - plainStart
received = 0
const endpoint: DeliveryEndpoint = { name: 'crm', kind: 'webhook', url, secrets: ['whsec_bench'] }
const queue = createWebhookQueue(redis, 'bench')
for (let i = 0; i < deliveries; i += 500) await Promise.all(Array.from({ length: Math.min(500, deliveries - i) }, (_, j) => enqueueDeliveries(queue, alert(i + j), [endpoint], (_e, id) => webhookBody(alert(i + j), id))))
const queuedStart = Date.now()
const worker = createWebhookWorker({ connection: redis, prefix: 'bench', clickhouse, endpoints: new Map([['crm', endpoint]]) })
while (received < deliveries) await new Promise((r) => setTimeout(r, 50))
const queuedMs = Date.now() - queuedStart
console.log(`
| ${deliveries.toLocaleString()} webhook deliveries to a local receiver | deliveries/s | × plain POSTs |
| --- | ---: | ---: |
| plain POSTs, 8 concurrent (baseline) | ${Math.round(deliveries / (plainMs / 1000))} | 1.00 |
| BullMQ delivery worker (signed, logged to ClickHouse, concurrency 8) | ${Math.round(deliveries / (queuedMs / 1000))} | ${(plainMs / queuedMs).toFixed(2)} |`)

await worker.close()
await queue.close()
receiver.close()
redis.disconnect()
await redisServer.stop()
await clickhouse.close()
