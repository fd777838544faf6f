// Processor throughput into ClickHouse, against two baselines measured in the same run on the same records:
// a kafkajs consumer group that only reads and commits them (the Kafka ceiling), and plain ClickHouse
// inserts of the same rows in the same batch sizes (the storage ceiling). The records are produced to a
// fresh topic first, so each consumer drains a backlog: that is throughput, not freshness (bench/freshness.ts).
// Run: node --import tsx bench/processor.ts [events=100000]
// BENCH_CPU_PROF=FILE.cpuprofile profiles the processor phase only (summarise: bench/profile-summary.ts).
import crypto from 'node:crypto'
import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { cloudEventHeaders } from '../gateway/cloudevents.js'
import { startEventProcessor, TypedTables } from '../processors/index.js'
import { createScoringQueue } from '../processors/scoring/index.js'
import { startBatchConsumer } from '../processors/batch-consumer.js'
import { chTime } from '../processors/clickhouse-time.js'
import { toEventRow } from '../processors/event-row.js'
import { registryRest, schemaRegistryClient } from '../registry/index.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { loadConfig } from '../platform/config.js'
import { createLogger } from '../runtime/logger.js'
import { startPlatform } from '../platform/index.js'

const total = Number(process.argv[2] ?? 100_000)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-proc-bench-'))
// Kafka, Redis, the registry and the ClickHouse schema, without a processor: the bench runs its own.
const config = loadConfig({ PULSE_COMPONENTS: 'registry', PULSE_DATA_DIR: dataDir, PULSE_REGISTRY_PORT: '0', PULSE_METRICS_PORT: '0', PULSE_LOG_LEVEL: 'error' })
const platform = await startPlatform(config, createLogger(config.logLevel))
const clickhouse = createClickHouse({ dataDir })
// The development key (PULSE_API_KEYS unset) may read the registry.
const registryTarget = { url: platform.endpoints.registry, authorization: `Bearer ${platform.generatedApiKey!.secret}` }
const registry = schemaRegistryClient(registryTarget)
const kafka = new Kafka({ brokers: platform.endpoints.kafka, logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()
const topic = `pulse.bench.processor.${crypto.randomBytes(3).toString('hex')}`
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }, { topic: `${topic}.verify`, numPartitions: 1 }], waitForLeaders: true })

// 1. The backlog: catalog events encoded as the gateway encodes them (wire format + CloudEvents headers).
const ids = { feature_used: await registry.getLatestSchemaId('feature_used'), user_login: await registry.getLatestSchemaId('user_login') }
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
await producer.connect()
const now = new Date().toISOString()
for (let i = 0; i < total; i += 1000) {
  const messages = await Promise.all(
    Array.from({ length: Math.min(1000, total - i) }, async (_, j) => {
      const n = i + j
      const e = n % 2
        ? { event: 'feature_used', messageId: crypto.randomUUID(), accountId: `acct_${n % 500}`, userId: `u_${n % 5000}`, timestamp: now, properties: { feature: 'reports.export', durationMs: 1200 } }
        : { event: 'user_login', messageId: crypto.randomUUID(), accountId: `acct_${n % 500}`, userId: `u_${n % 5000}`, timestamp: now, properties: { method: 'SSO', mfa: true } }
      const schemaId = ids[e.event as keyof typeof ids]
      return { key: e.accountId, value: await registry.encode(schemaId, e.properties), headers: cloudEventHeaders(e as never, { source: '/pulse/bench', schemaId }) }
    }),
  )
  await producer.send({ topic, acks: -1, messages })
}
await producer.disconnect()

/** CPU this process used (all threads: kafkajs, chDB's engine threads, GC) per wall second of a phase. */
function cpuMeter() {
  const cpu = process.cpuUsage()
  const wall = Date.now()
  return () => {
    const used = process.cpuUsage(cpu)
    return (used.user + used.system) / 1000 / Math.max(1, Date.now() - wall)
  }
}

async function drain(name: string, handle: Parameters<typeof startBatchConsumer>[0]['handle']): Promise<{ seconds: number; batches: number[] }> {
  const batches: number[] = []
  let done = 0
  const began = Date.now()
  let finished!: () => void
  const all = new Promise<void>((r) => (finished = r))
  const consumer = await startBatchConsumer({
    kafka,
    topic,
    groupId: `bench-${name}-${crypto.randomBytes(3).toString('hex')}`,
    handle: async (batch, heartbeat) => {
      await handle(batch, heartbeat)
      batches.push(batch.messages.length)
      done += batch.messages.length
      if (done >= total) finished()
    },
  })
  await all
  const seconds = (Date.now() - began) / 1000
  await consumer.stop()
  return { seconds, batches }
}

// 2. Kafka ceiling: read and commit, nothing else.
let meter = cpuMeter()
const readOnly = await drain('read', async () => {})
const readCpu = meter()

// 3. Storage ceiling: the same rows inserted straight into a copy of `events`, in the batch sizes kafkajs gave.
await clickhouse.command({ query: 'CREATE TABLE events_bench_copy AS events' })
const rows = await (async () => {
  const out: ReturnType<typeof toEventRow>[] = []
  await drain('rows', async (batch) => {
    for (const m of batch.messages) out.push(toEventRow(m, await registry.decode(m.value!), chTime(new Date())))
  })
  return out
})()
meter = cpuMeter()
const insertBegan = Date.now()
for (let i = 0, b = 0; i < rows.length; b++) {
  const size = readOnly.batches[b % readOnly.batches.length]
  await clickhouse.insert({ table: 'events_bench_copy', values: rows.slice(i, i + size), format: 'JSONEachRow' })
  i += size
}
const insertSeconds = (Date.now() - insertBegan) / 1000
const insertCpu = meter()

// 4. The processor: decode, typed tables, `events`, scoring jobs, commit.
const redis = new Redis(platform.endpoints.redis, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
const queue = createScoringQueue(redis, `bench-${crypto.randomBytes(3).toString('hex')}`)
const registryCall = registryRest(registryTarget)
const dlqProducer = kafka.producer()
await dlqProducer.connect()
const groupId = `bench-processor-${crypto.randomBytes(3).toString('hex')}`
const profiler = process.env.BENCH_CPU_PROF ? new Session() : undefined
if (profiler) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}
meter = cpuMeter()
const began = Date.now()
const processor = await startEventProcessor({
  kafka,
  topic,
  groupId,
  registry,
  clickhouse,
  scoringQueue: queue,
  scoringDebounceMs: 250,
  dlqTopic: `${topic}.dlq`,
  verifyTopic: `${topic}.verify`,
  producer: dlqProducer,
  typedTables: new TypedTables(
    (sql) => clickhouse.command({ query: sql }),
    async (id) => (await registryCall('GET', `/schemas/ids/${id}`)).body.schema as string,
  ),
})
for (;;) {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] })
  if (t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) >= total) break
  await new Promise((r) => setTimeout(r, 50))
}
const processorSeconds = (Date.now() - began) / 1000
const processorCpu = meter()
if (profiler) {
  const { profile } = await profiler.post('Profiler.stop')
  fs.writeFileSync(process.env.BENCH_CPU_PROF!, JSON.stringify(profile))
  profiler.disconnect()
}
const stored = await clickhouse.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
const storedCount = Number((await stored.json<{ n: string }>())[0].n)

await processor.stop()
await dlqProducer.disconnect()
await queue.close()
redis.disconnect()
await admin.disconnect()
await clickhouse.close()
await platform.stop()
fs.rmSync(dataDir, { recursive: true, force: true })

const rate = (s: number) => Math.round(total / s)
const meanBatch = Math.round(readOnly.batches.reduce((a, b) => a + b, 0) / readOnly.batches.length)
const cores = (c: number) => c.toFixed(2)
console.log(`| measure (${total} events, 3 partitions, mean kafkajs batch ${meanBatch}) | events/s | × read-only | cores used by this process |
| --- | ---: | ---: | ---: |
| kafkajs read + commit only (baseline) | ${rate(readOnly.seconds)} | 1.00 | ${cores(readCpu)} |
| ClickHouse inserts of the same rows only | ${rate(insertSeconds)} | ${(readOnly.seconds / insertSeconds).toFixed(2)} | ${cores(insertCpu)} |
| Pulse processor (decode, typed table, events, scoring jobs, commit) | ${rate(processorSeconds)} | ${(readOnly.seconds / processorSeconds).toFixed(2)} | ${cores(processorCpu)} |
rows stored by the processor: ${storedCount}`)
process.exit(0)
