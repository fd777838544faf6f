// What Segment compatibility costs at the gateway: POST /v1/batch with Segment-shaped batches (what
// @segment/analytics-node sends: type, context.groupId, integrations, _metadata, writeKey and sentAt, Basic auth
// with the write key) against Pulse-shaped batches of the same events, in the same run, on the same `pulse dev`.
// Rounds alternate A B B A … so that a machine getting slower or faster during the run weighs on both alike.
// Beside throughput (which a busy machine moves by ±15% from round to round), the Pulse process's own CPU time per
// accepted event (utime + stime from /proc, Linux only), which other load on the machine hardly moves.
// Run: node --import tsx bench/gateway-segment.ts [seconds per round=5] [rounds per shape=4] [connections=8]
// BENCH_COMPONENTS (default registry,gateway: what a gateway-only process serves) picks what `pulse dev` runs;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the Pulse process there (bench/profile-summary.ts reads it).
import crypto from 'node:crypto'
import fs from 'node:fs'
import autocannon from 'autocannon'
import { startPulseDev } from './support/pulse-dev.js'

const seconds = Number(process.argv[2] ?? 5)
const rounds = Number(process.argv[3] ?? 4)
const connections = Number(process.argv[4] ?? 8)
const BATCH = 100
const KEY = 'bench-secret-key'
const components = process.env.BENCH_COMPONENTS ?? 'registry,gateway'

const profileFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
const pulseDev = await startPulseDev(KEY, { PULSE_COMPONENTS: components }, profileFlags)
const { child, gateway } = pulseDev

// The same events in both shapes: half feature_used, half user_login, 50 accounts, 500 users, fresh messageIds.
const props = (i: number) => (i % 2 ? { feature: 'reports.export', durationMs: 1200 } : { method: 'SSO', mfa: true })
const name = (i: number) => (i % 2 ? 'feature_used' : 'user_login')
const pulseBody = () => {
  const timestamp = new Date().toISOString()
  return JSON.stringify({ batch: Array.from({ length: BATCH }, (_, i) => ({ event: name(i), messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i % 500}`, timestamp, properties: props(i) })) })
}
const segmentBody = () => {
  const timestamp = new Date().toISOString()
  return JSON.stringify({
    batch: Array.from({ length: BATCH }, (_, i) => ({
      timestamp,
      integrations: {},
      event: name(i),
      type: 'track',
      properties: props(i),
      context: { groupId: `acct_${i % 50}`, library: { name: '@segment/analytics-node', version: '3.1.0' } },
      userId: `u_${i % 500}`,
      messageId: `node-next-${Date.now()}-${crypto.randomUUID()}`,
      _metadata: { nodeVersion: process.version, jsRuntime: 'node' },
    })),
    writeKey: KEY,
    sentAt: new Date().toISOString(),
  })
}
const shapes = {
  pulse: { authorization: `Bearer ${KEY}`, body: pulseBody },
  segment: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, body: segmentBody },
}
type Shape = keyof typeof shapes

// A request of each shape first: both must be accepted whole, or the comparison means nothing.
for (const [shape, s] of Object.entries(shapes)) {
  const res = await fetch(`${gateway}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: s.authorization }, body: s.body() })
  const body = (await res.json()) as { accepted?: number }
  if (res.status !== 200 || body.accepted !== BATCH) throw new Error(`${shape} batch not accepted whole: ${res.status} ${JSON.stringify(body).slice(0, 400)}`)
}

/** CPU seconds the Pulse process (not its Kafka or Redis children) has used so far; NaN off Linux. */
function cpuSeconds(): number {
  try {
    const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

async function round(shape: Shape) {
  const s = shapes[shape]
  const cpu0 = cpuSeconds()
  const r = await autocannon({
    url: `${gateway}/v1/batch`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: s.authorization }, setupRequest: (req: any) => ({ ...req, body: s.body() }) }],
  })
  const cpuUsPerEvent = ((cpuSeconds() - cpu0) * 1e6) / (r['2xx'] * BATCH)
  return { eventsPerSec: (r['2xx'] * BATCH) / r.duration, cpuUsPerEvent, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx }
}

const order: Shape[] = []
for (let i = 0; i < rounds; i++) order.push(...((i % 2 ? ['segment', 'pulse'] : ['pulse', 'segment']) as Shape[]))
const results: Record<Shape, Awaited<ReturnType<typeof round>>[]> = { pulse: [], segment: [] }
for (const shape of order) results[shape].push(await round(shape))

await pulseDev.stop()

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const summary = (shape: Shape) => ({
  eventsPerSec: mean(results[shape].map((r) => r.eventsPerSec)),
  cpuUsPerEvent: mean(results[shape].map((r) => r.cpuUsPerEvent)),
  p50: mean(results[shape].map((r) => r.p50)),
  p99: mean(results[shape].map((r) => r.p99)),
  non2xx: results[shape].reduce((n, r) => n + r.non2xx, 0),
  rounds: results[shape].map((r) => Math.round(r.eventsPerSec)).join(', '),
})
const pulse = summary('pulse')
const segment = summary('segment')
// Per round pair: the ratio of the two rounds run back to back, then their median, less sensitive to a slow moment.
const pairs = results.pulse.map((p, i) => results.segment[i].eventsPerSec / p.eventsPerSec).sort((a, b) => a - b)
const median = pairs.length % 2 ? pairs[(pairs.length - 1) / 2] : (pairs[pairs.length / 2 - 1] + pairs[pairs.length / 2]) / 2

console.log(`| shape (/v1/batch, ${BATCH}-event batches, ${connections} connections, ${rounds} × ${seconds} s each, components: ${components}) | events/s (mean) | per round | Pulse CPU µs per event | p50 / p99 ms | non-2xx |
| --- | ---: | --- | ---: | ---: | ---: |
| Pulse envelope, Bearer | ${Math.round(pulse.eventsPerSec)} | ${pulse.rounds} | ${pulse.cpuUsPerEvent.toFixed(1)} | ${pulse.p50.toFixed(0)} / ${pulse.p99.toFixed(0)} | ${pulse.non2xx} |
| Segment messages (analytics-node's shape), Basic write key | ${Math.round(segment.eventsPerSec)} | ${segment.rounds} | ${segment.cpuUsPerEvent.toFixed(1)} | ${segment.p50.toFixed(0)} / ${segment.p99.toFixed(0)} | ${segment.non2xx} |
| Segment / Pulse | throughput ${(segment.eventsPerSec / pulse.eventsPerSec).toFixed(3)} (means), ${median.toFixed(3)} (median of round pairs) | | CPU per event ${(segment.cpuUsPerEvent / pulse.cpuUsPerEvent).toFixed(3)} | | |`)
