// End-to-end freshness at a steady event rate, sustained: time from the gateway's 202 to the event being
// queryable in ClickHouse, and to its account's updated score reaching a graphql-ws subscriber; every 30 s a
// line with the window's latencies and the RSS of Pulse, the Kafka JVM and redis-server, so a pipeline that
// slowly falls behind shows it; with each one's share of the cores, the processing process's JavaScript thread
// apart, and the time the VM's host stole from the machine.
//
// One process (default): the whole platform runs in this process (embedded chDB can only be queried from the
// process that owns it), so the load generator and the probes share its event loop: upper bounds.
// BENCH_SPLIT=1: this process runs the registry and gateway (and the load); a `pulse dev` child runs the
// processors, scoring and GraphQL (PULSE_COMPONENTS=processor,scoring,graphql) with its own embedded chDB.
// Queryability is then not probed (only that process can query its chDB); the subscriber figure is.
//
// Each window also reads the processing process's /metrics: where an event's time went on average, from the
// gateway to its row stored (the processor), from stored to its account's score stored (the scoring queue's
// wait and the pass), and the scoring passes' count, size, length and phases.
//
// Run: node --import tsx bench/freshness.ts [eventsPerSecond=5000] [seconds=20]
//   BENCH_ACCOUNTS=1000 accounts the load is spread over (plus one new account per batch, the probes)
//   BENCH_LOG_LEVEL=warn  Pulse's log level (default error), its lines on stdout
//   BENCH_READS=1  one process only: each window also times a live scoring pass's reads one by one (over the
//     load's accounts and the last window's probes; bench/support/pass-reads.ts), counts the active parts of
//     the tables they read and shows the engine's merging (counters, and the tables found merging), printed
//     as a second table: what grows over a long run
//   BENCH_HISTORY=N  before the load, N events of the load's accounts spread over the 30 days before the run,
//     as busy accounts send them (BUSY_ACCOUNT_MIX; BENCH_HISTORY_MIX=sweep for the sweep bench's mix, 4 %
//     sparse events), inserted straight into ClickHouse, and a score of every account as of each of those days
//     (bench/support/history.ts), so a live pass reads a month of rollup rows, facts and past scores as in
//     production rather than a fresh database's single day (e.g. BENCH_HISTORY=10000000)
//   BENCH_HISTORY_MONTHS=M  with BENCH_HISTORY, accounts M months old: the M − 1 months before those 30 days
//     as facts alone (the mix's sparse events at the same rate; no usage, which a pass never reads that far
//     back), e.g. BENCH_HISTORY_MONTHS=24
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient as createWsClient } from 'graphql-ws'
import WebSocket from 'ws'
import { activeParts, mergeCounters, sampleMerges, timePassReads } from './support/pass-reads.js'
import { loadHistory } from './support/history.js'
import { freePort } from '../runtime/child-service.js'
import { createClickHouse, type ClickHouseClient } from '../runtime/clickhouse.js'
import { benchPlatformConfig } from './support/platform-config.js'
import { createLogger } from '../runtime/logger.js'
import { startPlatform } from '../platform/index.js'
import { chTime } from '../processors/clickhouse-time.js'

const rate = Number(process.argv[2] ?? 5000)
const seconds = Number(process.argv[3] ?? 20)
const split = process.env.BENCH_SPLIT === '1'
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 1000)
const TICK_MS = 100
const REPORT_MS = Number(process.env.BENCH_REPORT_MS ?? 30_000)
const timeReads = process.env.BENCH_READS === '1'
const perTick = Math.round((rate * TICK_MS) / 1000)
const KEY = 'freshness-bench-key'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-fresh-'))
const passThrough = Object.fromEntries(['PULSE_PROCESSOR_BATCH_BYTES', 'PULSE_PROCESSOR_BATCH_WAIT', 'PULSE_SCORING_DEBOUNCE_MS', 'PULSE_PLAYBOOKS_EVERY', 'PULSE_COMPONENTS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!]))
const config = benchPlatformConfig(dataDir, KEY, {
  PULSE_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
  ...(split ? { PULSE_COMPONENTS: 'registry,gateway' } : {}),
  ...passThrough,
})
const platform = await startPlatform(config, createLogger(config.logLevel))
const historyEvents = Number(process.env.BENCH_HISTORY ?? 0)
const historyMix = process.env.BENCH_HISTORY_MIX === 'sweep' ? 'sweep' : 'busy'
const historyMonths = Number(process.env.BENCH_HISTORY_MONTHS ?? 1)
if (!Number.isInteger(historyMonths) || historyMonths < 1) throw new Error(`BENCH_HISTORY_MONTHS: expected a whole number of months, at least 1; got ${process.env.BENCH_HISTORY_MONTHS}`)
let history = ''
let child: ChildProcess | undefined
let graphqlWs = platform.endpoints.graphqlWs
let clickhouse: ClickHouseClient | undefined
let metricsUrl = platform.endpoints.metrics
if (split) {
  const metricsPort = await freePort()
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
  const childDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-fresh-proc-'))
  // The child's chDB is its own: the history goes into its data directory before it starts.
  if (historyEvents) {
    history = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/history.ts', import.meta.url)), childDir, String(accounts), String(historyEvents), historyMix, String(historyMonths)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim()
  }
  child = spawn(process.execPath, [fileURLToPath(new URL('../bin/pulse.mjs', import.meta.url)), 'dev'], {
    env: {
      ...process.env,
      ...passThrough,
      PULSE_COMPONENTS: 'processor,scoring,graphql',
      PULSE_DATA_DIR: childDir,
      PULSE_GRAPHQL_PORT: '0',
      PULSE_METRICS_PORT: String(metricsPort),
      PULSE_REGISTRY_URL: platform.endpoints.registry,
      // The same key: it reads the registry, and the bench's subscription presents it to this GraphQL server.
      PULSE_API_KEYS: `bench:${KEY}`,
      PULSE_API_KEY: KEY,
      PULSE_KAFKA_BROKERS: platform.endpoints.kafka.join(','),
      PULSE_REDIS_URL: platform.endpoints.redis,
      PULSE_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  graphqlWs = await new Promise<string>((resolve, reject) => {
    let out = ''
    child!.stdout!.on('data', (d) => {
      out += d
      const m = /subscriptions: (ws:\/\/\S+)\)/.exec(out)
      if (m) resolve(m[1])
    })
    child!.on('exit', (code) => reject(new Error(`the processing process exited (${code}) before it was up:\n${out}`)))
  })
} else clickhouse = createClickHouse({ dataDir })
if (clickhouse && historyEvents) history = await loadHistory(clickhouse, { accounts, total: historyEvents, mix: historyMix, months: historyMonths, scorecard: config.scorecard })
const merges = timeReads && clickhouse ? sampleMerges(clickhouse) : undefined

// One marker event per tick, for an account of its own, so its first score is always pushed.
interface Probe { at: number; pushedMs?: number; queryableMs?: number }
const probes = new Map<string, Probe>()
const byAccount = new Map<string, Probe>()
const ws = createWsClient({ url: graphqlWs, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${KEY}` } })
ws.subscribe(
  { query: 'subscription { healthScoreChanged { accountId } }' },
  {
    next: (m: any) => {
      const p = byAccount.get(m.data?.healthScoreChanged?.accountId)
      if (p && p.pushedMs === undefined) p.pushedMs = Date.now() - p.at
    },
    error: (err) => console.error('subscription error', err),
    complete: () => {},
  },
)
await new Promise((r) => setTimeout(r, 1000))

// RSS of this process, the processing child (split), the Kafka JVM (found by its data dir) and redis-server (by its port).
const rssOf = (pid: number | undefined) => {
  if (!pid) return NaN
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024)
  } catch {
    return NaN
  }
}
const pidMatching = (needle: RegExp, token: string) => {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  const line = ps.split('\n').find((l) => l.includes(token) && needle.test(l))
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined
}
// CPU time (user + system, in clock ticks of 1/100 s) of a process so far, for each window's share of the cores.
const cpuOf = (pid: number | undefined, stat = `/proc/${pid}/stat`) => {
  if (!pid) return NaN
  try {
    const fields = fs.readFileSync(stat, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return NaN
  }
}
const kafkaPid = pidMatching(/java/, dataDir)
const redisPid = pidMatching(/redis-server/, `:${new URL(platform.endpoints.redis).port}`)

let sending = true
let sent = 0
let refused = 0
const started = Date.now()
const generator = (async () => {
  let next = Date.now()
  let tick = 0
  while (sending) {
    const markerId = crypto.randomUUID()
    const markerAccount = `fresh_${markerId.slice(0, 8)}`
    const now = new Date().toISOString()
    const batch = Array.from({ length: perTick }, (_, i) => ({
      event: i % 3 === 0 ? 'user_login' : 'feature_used',
      messageId: i === 0 ? markerId : crypto.randomUUID(),
      accountId: i === 0 ? markerAccount : `acct_${(tick * perTick + i) % accounts}`,
      userId: `u_${i % 7}`,
      timestamp: now,
      properties: i % 3 === 0 ? { method: 'SSO', mfa: false } : { feature: `f${i % 9}`, durationMs: null },
    }))
    tick++
    void fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ batch }),
    }).then(async (res) => {
      const body = (await res.json()) as { accepted: number }
      sent += body.accepted ?? 0
      if (res.status !== 200) refused += perTick
      else {
        const probe = { at: Date.now() }
        probes.set(markerId, probe)
        byAccount.set(markerAccount, probe)
      }
    }, () => (refused += perTick))
    next += TICK_MS
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())))
  }
})()

const poller = (async () => {
  if (!clickhouse) return
  for (;;) {
    const pending = [...probes.values()].some((p) => p.queryableMs === undefined)
    if (!sending && !pending) break
    if (pending) {
      // The probes' own accounts (`fresh_…`, a key range of `events`) of the last two minutes, in a query with
      // no parameters: embedded chDB runs parameterized queries one at a time process-wide, so a probe with
      // parameters would queue among the pipeline's queries and add its own time to theirs.
      const rs = await clickhouse.query({
        query: "SELECT message_id FROM events WHERE account_id > 'fresh_' AND account_id < 'fresh`' AND timestamp > now64(3) - INTERVAL 2 MINUTE",
        format: 'JSONEachRow',
      })
      const now = Date.now()
      for (const { message_id } of await rs.json<{ message_id: string }>()) {
        const p = probes.get(message_id)
        if (p && p.queryableMs === undefined) p.queryableMs = now - p.at
      }
    }
    // Every 200 ms.
    await new Promise((r) => setTimeout(r, 200))
  }
})()

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN
}
// Each window reports the probes sent in it; a probe not pushed yet counts as its age so far (a lower bound),
// so a backlog shows in the window it builds in rather than after the run.
const windows: string[] = []
const samples: { t: number; pulse: number; child: number; kafka: number; redis: number }[] = []
let windowStart = started
const pids = () => ({ pulse: process.pid, child: child?.pid, kafka: kafkaPid, redis: redisPid })
// The processing process's JavaScript thread (its main thread: the thread id is the process id), apart from
// the engine's threads; and the time the VM's host gave the machine's cores to other guests (`steal` in
// /proc/stat, in the same ticks). Busy hosts make these machines slower by the hour: a window with time stolen
// is not comparable with one without.
const jsThreadOf = (pid: number | undefined) => cpuOf(pid, `/proc/${pid}/task/${pid}/stat`)
const stolen = () => Number(fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8])
const cpuNow = (at: number) => ({ at, ...Object.fromEntries(Object.entries(pids()).map(([k, pid]) => [k, cpuOf(pid)])), js: jsThreadOf(split ? child?.pid : process.pid), steal: stolen() }) as Record<string, number>
let cpuBefore = cpuNow(started)
// Percent of one core each process used since the last window (200 % = both cores).
const cpuShares = (now: number) => {
  const after = cpuNow(now)
  const share = (k: string) => Math.round((after[k] - cpuBefore[k]) / ((now - cpuBefore.at) / 1000))
  const line = `${share('pulse')}${split ? ` + ${share('child')}` : ''} (${share('js')}) / ${share('kafka')} / ${share('redis')} | ${share('steal')}`
  cpuBefore = after
  return line
}
// The stages' sums and counts at the last window, from the processing process's Prometheus metrics.
const STAGES = ['pulse_processor_store_delay_seconds', 'pulse_scoring_delay_seconds', 'pulse_scoring_pass_duration_seconds', 'pulse_scoring_after_pass_seconds'] as const
let stagesBefore = new Map<string, number>()
const stageColumns = async () => {
  const text = await fetch(metricsUrl).then((r) => r.text(), () => '')
  const now = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^(pulse_\w+?_(?:sum|count))(?:\{([^}]*)\})? (\S+)$/.exec(line)
    // Event passes only: a sweep's pass is not what an event waits for.
    if (m && (!m[2] || m[2].includes('topic="pulse.events"') || m[2] === 'trigger="event"')) now.set(m[1], (now.get(m[1]) ?? 0) + Number(m[3]))
    const phase = m && /^trigger="event",phase="(\w+)"$/.exec(m[2] ?? '')
    if (phase) now.set(`${m[1]}/${phase[1]}`, Number(m[3]))
    const reuse = /^pulse_scoring_fact_aggregates_total\{source="(\w+)"\} (\S+)$/.exec(line)
    if (reuse) now.set(`facts/${reuse[1]}`, Number(reuse[2]))
  }
  const delta = (k: string) => (now.get(k) ?? 0) - (stagesBefore.get(k) ?? 0)
  const meanMs = (stage: string) => (delta(`${stage}_count`) ? Math.round((1000 * delta(`${stage}_sum`)) / delta(`${stage}_count`)) : '–')
  const passes = delta('pulse_scoring_pass_duration_seconds_count')
  const accountsPerPass = passes ? Math.round(delta('pulse_scoring_delay_seconds_count') / passes) : '–'
  const phaseMs = (phase: string) => (passes ? Math.round((1000 * delta(`pulse_scoring_pass_phase_seconds_sum/${phase}`)) / passes) : '–')
  const factsAsked = delta('facts/memo') + delta('facts/read')
  const factsHeld = factsAsked ? `${Math.round((100 * delta('facts/memo')) / factsAsked)} %` : '–'
  const columns = `${meanMs(STAGES[0])} | ${meanMs(STAGES[1])} | ${passes} | ${accountsPerPass} | ${meanMs(STAGES[2])} | ${meanMs(STAGES[3])} | ${phaseMs('read')} / ${phaseMs('compute')} / ${phaseMs('insert')} | ${factsHeld}`
  stagesBefore = now
  return columns
}
const report = async () => {
  const now = Date.now()
  const inWindow = [...probes.values()].filter((p) => p.at >= windowStart - 1000 && p.at < now - 5000)
  const pushed = inWindow.map((p) => p.pushedMs ?? now - p.at)
  const missing = inWindow.filter((p) => p.pushedMs === undefined).length
  const queryable = inWindow.map((p) => p.queryableMs ?? now - p.at)
  const rss = { t: Math.round((now - started) / 1000), pulse: rssOf(process.pid), child: rssOf(child?.pid), kafka: rssOf(kafkaPid), redis: rssOf(redisPid) }
  samples.push(rss)
  const stages = await stageColumns()
  const line = `| ${rss.t} | ${Math.round(sent / ((now - started) / 1000))} | ${clickhouse ? pct(queryable, 95) : '–'} | ${pct(pushed, 50)} | ${pct(pushed, 95)} | ${missing} | ${rss.pulse}${split ? ` + ${rss.child}` : ''} | ${rss.kafka} | ${rss.redis} | ${cpuShares(now)} | ${stages} |`
  windows.push(line)
  console.error(line)
  if (timeReads && clickhouse) {
    // What a live pass reads: the load's accounts, and the probes' accounts of this window.
    const sample = [...Array.from({ length: accounts }, (_, i) => `acct_${i}`), ...[...byAccount].filter(([, p]) => p.at >= windowStart).map(([id]) => id)]
    const ms = await timePassReads(clickhouse, sample, Date.now(), 2)
    const parts = await activeParts(clickhouse, PARTS_OF)
    const merged = await mergeCounters(clickhouse)
    const busiest = [...merges!.take()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([table, n]) => `${table} ${n}`).join(', ')
    const merging = `${merged.merges - mergedBefore.merges} | ${((merged.mergedRows - mergedBefore.mergedRows) / 1e6).toFixed(1)} | ${((merged.mergeMs - mergedBefore.mergeMs) / 1000).toFixed(1)}`
    mergedBefore = merged
    const readLine = `| ${rss.t} | ${sample.length} | ${Object.values(ms).join(' | ')} | ${parts.join(' / ')} | ${merging} | ${busiest} |`
    if (!readLines.length) console.error(READS_HEADER)
    readLines.push(readLine)
    console.error(readLine)
  }
  windowStart = now - 5000
}
const PARTS_OF = ['events', 'account_daily', 'account_profile_state', 'account_items', 'event_kinds_daily', 'health_scores', 'health_scores_latest', 'health_scores_daily']
const READS_HEADER = `| s | accounts | accounts ms | usage ms | sparse ms | sources ms | latest ms | past ms | fingerprints ms | active parts: ${PARTS_OF.join(' / ')} | merges | rows merged (M) | merging (s of threads) | merges in progress when sampled (every 0.5 s), by table |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |`
let mergedBefore = { merges: 0, mergedRows: 0, mergeMs: 0 }
const readLines: string[] = []
console.error('| s | accepted/s | queryable p95 ms | subscriber p50 ms | p95 ms | not pushed yet | RSS Pulse MB | Kafka MB | Redis MB | CPU % Pulse (its JS thread) / Kafka / Redis | CPU % stolen | mean ms to stored | stored → scored | event passes | accounts a pass | ms a pass | ms after a pass | read / compute / insert ms | facts aggregates held |')
const reporter = setInterval(() => void report(), REPORT_MS)

await new Promise((r) => setTimeout(r, seconds * 1000))
sending = false
clearInterval(reporter)
merges?.stop()
await generator
await Promise.race([poller, new Promise((r) => setTimeout(r, 15_000))])
await new Promise((r) => setTimeout(r, 5000)) // let the last scores arrive
await ws.dispose()
let batches = ''
if (clickhouse) {
  // Rows of one processor batch share their received_at (formatted once per batch): rows per insert. The
  // history's rows (BENCH_HISTORY) came before the run, straight into the table.
  const inserts = await clickhouse.query({
    query: "SELECT count() AS rows, uniqExact(received_at) AS batches FROM events WHERE received_at >= {started:DateTime64(3, 'UTC')}",
    query_params: { started: chTime(new Date(started)) },
    format: 'JSONEachRow',
  })
  const { rows, batches: n } = (await inserts.json<{ rows: string; batches: string }>())[0]
  batches = `processor batches: ${n} for ${rows} rows (${Math.round(Number(rows) / Number(n))} rows per insert)\n`
  await clickhouse.close()
}
if (child) {
  // Before the platform stops the Kafka and Redis the child uses.
  child.kill('SIGTERM')
  await new Promise((r) => child!.once('exit', r))
}
await platform.stop()
fs.rmSync(dataDir, { recursive: true, force: true })

const all = [...probes.values()]
const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} of ${all.length} | ${pct(xs, 50)} | ${pct(xs, 95)} | ${pct(xs, 99)} |`
const peak = (k: 'pulse' | 'child' | 'kafka' | 'redis') => Math.max(...samples.map((s) => s[k]).filter((x) => !Number.isNaN(x)))
console.log(`${split ? 'split: gateway+registry here, processor+scoring+graphql in a child' : 'one process'}${history ? `; ${history}` : ''}; ${accounts} accounts; offered ${rate} events/s for ${seconds} s: ${sent} accepted (${Math.round(sent / seconds)}/s), ${refused} not accepted
${batches}
| s | accepted/s | queryable p95 ms | subscriber p50 ms | p95 ms | not pushed yet | RSS Pulse MB | Kafka MB | Redis MB | CPU % Pulse (its JS thread) / Kafka / Redis | CPU % stolen | mean ms to stored | stored → scored | event passes | accounts a pass | ms a pass | ms after a pass | read / compute / insert ms | facts aggregates held |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${windows.join('\n')}

| from the 202 to… | samples | p50 ms | p95 ms | p99 ms |
| --- | ---: | ---: | ---: | ---: |
${clickhouse ? row('row queryable in ClickHouse', all.flatMap((p) => (p.queryableMs === undefined ? [] : [p.queryableMs]))) + '\n' : ''}${row('score pushed to a graphql-ws subscriber', all.flatMap((p) => (p.pushedMs === undefined ? [] : [p.pushedMs])))}
${readLines.length ? `\n${READS_HEADER}\n${readLines.join('\n')}\n` : ''}
peak RSS MB: Pulse ${peak('pulse')}${split ? `, processing child ${peak('child')}` : ''}, Kafka ${peak('kafka')}, Redis ${peak('redis')}`)
process.exit(0)

