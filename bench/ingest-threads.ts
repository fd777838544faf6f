// Where ingest's CPU goes: the platform's ingest components (no scoring) at a steady event rate, on a copy of
// an existing data directory (e.g. a freshness run's history), with this process's CPU by thread name
// (/proc/self/task: ClickHouse's ThreadPool and MergeMutate threads, `node` = the JS thread and libuv's
// workers, where chDB runs a query) and every ClickHouse call counted by table or query, each window.
//
// Run: node --import tsx bench/ingest-threads.ts DATA_DIR [eventsPerSecond=10] [windows=2] [windowMs=30000]
//   DATA_DIR holds a `clickhouse` directory; it is copied first, so the original is left as it was.
//   PULSE_COMPONENTS defaults to registry,gateway,processor,graphql.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { startPlatform } from '../platform/index.js'
import { createLogger } from '../runtime/logger.js'
import { benchPlatformConfig } from './support/platform-config.js'

const source = process.argv[2]
if (!source || !fs.existsSync(path.join(source, 'clickhouse'))) throw new Error(`DATA_DIR: expected a directory holding a clickhouse directory; got ${source}`)
const rate = Number(process.argv[3] ?? 10)
const windows = Number(process.argv[4] ?? 2)
const windowMs = Number(process.argv[5] ?? 30_000)
const KEY = 'ingest-threads-key'

// Every ClickHouse call of the process counted: with an injected chDB connection, @clickhouse/client builds
// its common client class, so that class's prototype is where every call passes.
const { ClickHouseClient } = createRequire(import.meta.url)('@clickhouse/client/dist/common/index.js')
const calls = new Map<string, { n: number; ms: number }>()
for (const method of ['insert', 'query', 'command', 'exec']) {
  const original = ClickHouseClient.prototype[method]
  ClickHouseClient.prototype[method] = async function (this: unknown, params: { table?: string; query?: string }) {
    const key = `${method} ${params.table ?? String(params.query).replace(/\s+/g, ' ').slice(0, 70)}`
    const started = performance.now()
    try {
      return await original.call(this, params)
    } finally {
      const c = calls.get(key) ?? { n: 0, ms: 0 }
      c.n++
      c.ms += performance.now() - started
      calls.set(key, c)
    }
  }
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-ingest-'))
fs.cpSync(path.join(source, 'clickhouse'), path.join(dataDir, 'clickhouse'), { recursive: true })
const config = benchPlatformConfig(dataDir, KEY, { PULSE_COMPONENTS: process.env.PULSE_COMPONENTS ?? 'registry,gateway,processor,graphql' })
const platform = await startPlatform(config, createLogger(config.logLevel))

// The freshness bench's load: a batch every 100 ms, logins and feature uses over 1,000 accounts.
const perTick = Math.round(rate / 10)
let tick = 0
const load = perTick
  ? setInterval(() => {
      const now = new Date().toISOString()
      const batch = Array.from({ length: perTick }, (_, i) => ({
        event: i % 3 === 0 ? 'user_login' : 'feature_used',
        messageId: crypto.randomUUID(),
        accountId: `acct_${(tick * perTick + i) % 1000}`,
        userId: `u_${i % 7}`,
        timestamp: now,
        properties: i % 3 === 0 ? { method: 'SSO', mfa: false } : { feature: `f${i % 9}`, durationMs: null },
      }))
      tick++
      void fetch(`${platform.endpoints.gateway}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ batch }) }).then(
        (res) => res.text(),
        () => {},
      )
    }, 100)
  : undefined

/** CPU time (user + system, clock ticks of 1/100 s) of this process's threads so far, summed by thread name. */
const threadTicks = () => {
  const out = new Map<string, number>()
  for (const task of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '#')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]))
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out
}

console.log(`${rate} events/s, ${windows} windows of ${windowMs / 1000} s, on a copy of ${source}`)
let before = threadTicks()
let windowStart = Date.now()
for (let w = 1; w <= windows; w++) {
  await new Promise((r) => setTimeout(r, windowMs))
  const now = threadTicks()
  const seconds = (Date.now() - windowStart) / 1000
  const shares = [...now].map(([name, t]) => [name, (t - (before.get(name) ?? 0)) / seconds] as const).filter(([, pct]) => pct >= 0.5).sort((a, b) => b[1] - a[1])
  console.log(`window ${w}: ${shares.reduce((sum, [, pct]) => sum + pct, 0).toFixed(1)} % of a core — ${shares.map(([name, pct]) => `${name} ${pct.toFixed(1)}`).join(', ')}`)
  for (const [key, c] of [...calls].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) console.log(`  ${(c.n / seconds).toFixed(2)}/s, ${(c.ms / c.n).toFixed(0)} ms each: ${key}`)
  calls.clear()
  before = now
  windowStart = Date.now()
}
if (load) clearInterval(load)
await platform.stop()
fs.rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
