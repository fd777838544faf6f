// Gateway throughput through POST /v1/batch (100-event batches of catalog events, autocannon on loopback)
// against the ceiling of producing the same Avro bytes straight to Kafka with kafkajs, in the same run.
// Run: node --import tsx bench/gateway.ts [seconds=15] [connections=8]
// BENCH_COMPONENTS=registry,gateway runs Pulse without the processor (what a gateway-only process serves);
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of the Pulse process there (summarise: bench/profile-summary.ts).
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import autocannon from 'autocannon'
import { Kafka, logLevel, Partitioners } from 'kafkajs'

const seconds = Number(process.argv[2] ?? 15)
const connections = Number(process.argv[3] ?? 8)
const BATCH = 100
const KEY = 'bench-secret-key'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-'))
const profileFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
const pulse = spawn(process.execPath, [...profileFlags, fileURLToPath(new URL('../bin/pulse.mjs', import.meta.url)), 'dev'], {
  env: {
    ...process.env,
    PULSE_DATA_DIR: dataDir,
    PULSE_API_KEYS: `bench:${KEY}`,
    PULSE_GATEWAY_PORT: '0',
    PULSE_REGISTRY_PORT: '0',
    PULSE_GRAPHQL_PORT: '0',
    PULSE_LOG_LEVEL: 'warn',
    PULSE_RATE_LIMIT: '1000000/1s',
    ...(process.env.BENCH_COMPONENTS ? { PULSE_COMPONENTS: process.env.BENCH_COMPONENTS } : {}),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
})
let out = ''
pulse.stdout.on('data', (d) => (out += d))
const started = Date.now()
while (!/gateway\s+http/.test(out)) {
  if (Date.now() - started > 120_000) throw new Error(`pulse dev did not start:\n${out}`)
  await new Promise((r) => setTimeout(r, 200))
}
const gateway = /gateway\s+(http:\S+)\/v1\/track/.exec(out)![1]
const registryUrl = /registry\s+(http:\S+)/.exec(out)![1]
const brokers = [/kafka\s+(\S+:\d+)/.exec(out)![1]]

const now = () => new Date().toISOString()
function event(i: number) {
  return i % 2
    ? { event: 'feature_used', messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i % 500}`, timestamp: now(), properties: { feature: 'reports.export', durationMs: 1200 } }
    : { event: 'user_login', messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i % 500}`, timestamp: now(), properties: { method: 'SSO', mfa: true } }
}
const batchBody = () => JSON.stringify({ batch: Array.from({ length: BATCH }, (_, i) => event(i)) })

// 1. The gateway, loaded by autocannon; each request carries fresh messageIds (no deduplication hits).
const result = await autocannon({
  url: `${gateway}/v1/batch`,
  connections,
  duration: seconds,
  requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, setupRequest: (req: any) => ({ ...req, body: batchBody() }) }],
})
const ok = result['2xx']
const gatewayEventsPerSec = (ok * BATCH) / result.duration

// 2. The ceiling: the same Avro bytes and headers, straight to Kafka with kafkajs, as many requests in flight.
const registry = new SchemaRegistry({ host: registryUrl })
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

pulse.kill('SIGTERM')
await new Promise((r) => pulse.once('exit', r))
fs.rmSync(dataDir, { recursive: true, force: true })

console.log(`| measure | value |
| --- | ---: |
| gateway events/s (/v1/batch, ${BATCH}-event batches, ${connections} connections, ${seconds} s, components: ${process.env.BENCH_COMPONENTS ?? 'all'}) | ${Math.round(gatewayEventsPerSec)} |
| kafkajs ceiling events/s (same bytes, ${connections} sends in flight) | ${Math.round(ceilingEventsPerSec)} |
| gateway / ceiling | ${(gatewayEventsPerSec / ceilingEventsPerSec).toFixed(2)} |
| request latency p50 / p99 (ms) | ${result.latency.p50} / ${result.latency.p99} |
| non-2xx responses | ${result.non2xx} |`)
