// Gateway throughput through POST /v1/batch (100-event batches of catalog events, autocannon on loopback)
// against the ceiling of producing the same Avro bytes straight to Kafka with kafkajs, in the same run.
// Run: node --import tsx bench/gateway.ts [seconds=15] [connections=8]
// BENCH_COMPONENTS=registry,gateway runs Pulse without the processor (what a gateway-only process serves);
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the Pulse process there (summarise: bench/profile-summary.ts).
// BENCH_GATEWAYS=N adds N-1 gateway-only processes (PULSE_COMPONENTS=gateway) on the same Kafka, Redis and
// registry, as a deployment behind a load balancer would run them; the connections are split among them.
import crypto from 'node:crypto'
import { schemaRegistryClient } from '../registry/index.js'
import { startPulseDev } from './support/pulse-dev.js'
import autocannon from 'autocannon'
import { Kafka, logLevel, Partitioners } from 'kafkajs'

const seconds = Number(process.argv[2] ?? 15)
const connections = Number(process.argv[3] ?? 8)
const BATCH = 100
const KEY = 'bench-secret-key'

const profileFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
const first = await startPulseDev(KEY, process.env.BENCH_COMPONENTS ? { PULSE_COMPONENTS: process.env.BENCH_COMPONENTS } : {}, profileFlags)
const registryUrl = /registry\s+(http:\S+)/.exec(first.out)![1]
const brokers = [/kafka\s+(\S+:\d+)/.exec(first.out)![1]]
const redisUrl = /redis\s+(redis:\S+)/.exec(first.out)![1]
const gatewayCount = Math.max(1, Number(process.env.BENCH_GATEWAYS ?? 1))
const pulses = [first]
for (let i = 1; i < gatewayCount; i++) {
  pulses.push(await startPulseDev(KEY, { PULSE_COMPONENTS: 'gateway', PULSE_REGISTRY_URL: registryUrl, PULSE_KAFKA_BROKERS: brokers.join(','), PULSE_REDIS_URL: redisUrl }))
}

const now = () => new Date().toISOString()
function event(i: number) {
  return i % 2
    ? { event: 'feature_used', messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i % 500}`, timestamp: now(), properties: { feature: 'reports.export', durationMs: 1200 } }
    : { event: 'user_login', messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i % 500}`, timestamp: now(), properties: { method: 'SSO', mfa: true } }
}
const batchBody = () => JSON.stringify({ batch: Array.from({ length: BATCH }, (_, i) => event(i)) })

// 1. The gateway(s), loaded by autocannon; each request carries fresh messageIds (no deduplication hits).
const results = await Promise.all(
  pulses.map((p, i) =>
    autocannon({
      url: `${p.gateway}/v1/batch`,
      connections: Math.floor(connections / pulses.length) + (i < connections % pulses.length ? 1 : 0),
      duration: seconds,
      requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, setupRequest: (req: any) => ({ ...req, body: batchBody() }) }],
    }),
  ),
)
const gatewayEventsPerSec = results.reduce((n, r) => n + (r['2xx'] * BATCH) / r.duration, 0)
const latency = { p50: Math.max(...results.map((r) => r.latency.p50)), p99: Math.max(...results.map((r) => r.latency.p99)) }
const non2xx = results.reduce((n, r) => n + r.non2xx, 0)

// 2. The ceiling: the same Avro bytes and headers, straight to Kafka with kafkajs, as many requests in flight.
const registry = schemaRegistryClient({ url: registryUrl, authorization: `Bearer ${KEY}` })
const featureId = await registry.getLatestSchemaId('feature_used')
const loginId = await registry.getLatestSchemaId('user_login')
const featureBytes = await registry.encode(featureId, { feature: 'reports.export', durationMs: 1200 })
const loginBytes = await registry.encode(loginId, { method: 'SSO', mfa: true })
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
const messages = () =>
  Array.from({ length: BATCH }, (_, i) => ({
    key: `acct_${i % 50}`,
    value: i % 2 ? featureBytes : loginBytes,
    headers: { ce_specversion: '1.0', ce_id: crypto.randomUUID(), ce_type: i % 2 ? 'feature_used' : 'user_login', ce_source: '/bench', ce_time: now(), ce_accountid: `acct_${i % 50}` },
  }))
let sent = 0
const deadline = Date.now() + seconds * 1000
const t0 = Date.now()
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (Date.now() < deadline) {
      await producer.send({ topic: 'pulse.bench.ceiling', acks: -1, messages: messages() })
      sent += BATCH
    }
  }),
)
const ceilingEventsPerSec = sent / ((Date.now() - t0) / 1000)
await producer.disconnect()

// The first (which runs Kafka and Redis for the others) stops last.
for (const p of pulses.reverse()) await p.stop()

console.log(`| measure | value |
| --- | ---: |
| gateway events/s (/v1/batch, ${BATCH}-event batches, ${connections} connections, ${seconds} s, components: ${process.env.BENCH_COMPONENTS ?? 'all'}${gatewayCount > 1 ? ` + ${gatewayCount - 1} gateway-only process(es)` : ''}) | ${Math.round(gatewayEventsPerSec)} |
| kafkajs ceiling events/s (same bytes, ${connections} sends in flight) | ${Math.round(ceilingEventsPerSec)} |
| gateway / ceiling | ${(gatewayEventsPerSec / ceilingEventsPerSec).toFixed(2)} |
| request latency p50 / p99 (ms${gatewayCount > 1 ? ', the slower gateway' : ''}) | ${latency.p50} / ${latency.p99} |
| non-2xx responses | ${non2xx} |`)
