import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createClickHouse, type ClickHouseClient } from '../../runtime/clickhouse.js'
import { loadConfig } from '../../platform/config.js'
import { createLogger } from '../../runtime/logger.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { startRedisServer, type RedisServer } from '../../runtime/redis-server.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { startSplitPlatform } from '../support/split-platform.js'

/**
 * The processor's dependencies go away under it. Gateway and registry run in this process on the shared
 * Redis; the processor and scoring worker run here too, on the same embedded ClickHouse store, with a
 * Redis of their own that the test stops. ClickHouse "goes away" the way a table does during maintenance:
 * DETACH TABLE makes the real engine refuse every insert (UNKNOWN_TABLE) until ATTACH.
 */
describe('ClickHouse and Redis go away under the processor', () => {
  let split: Awaited<ReturnType<typeof startSplitPlatform>>
  let processor: Platform
  let redis: RedisServer
  let clickhouse: ClickHouseClient
  const redisDir = tempDir()
  const dlqTopic = uniqueName('pulse.events.dlq')
  let sent = 0
  const event = (i: number) => ({ event: 'feature_used', accountId: `acct_${i % 10}`, properties: { feature: `f${i % 3}` } })

  beforeAll(async () => {
    split = await startSplitPlatform('outage-secret')
    redis = await startRedisServer({ dataDir: redisDir })
    const config = loadConfig({
      PULSE_COMPONENTS: 'processor,scoring',
      PULSE_DATA_DIR: split.dataDir,
      PULSE_REGISTRY_URL: split.platform.endpoints.registry,
      PULSE_API_KEY: 'outage-secret',
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: redis.url,
      PULSE_EVENTS_TOPIC: split.names.topic,
      PULSE_CONSUMER_GROUP: split.names.group,
      PULSE_REDIS_PREFIX: split.names.redisPrefix,
      PULSE_DLQ_TOPIC: dlqTopic,
      PULSE_SCORING_DEBOUNCE_MS: '200',
      PULSE_METRICS_PORT: '0',
      PULSE_LOG_LEVEL: 'silent',
    })
    processor = await startPlatform(config, createLogger(config.logLevel))
    clickhouse = createClickHouse({ dataDir: split.dataDir })
  }, 120_000)

  afterAll(async () => {
    await processor?.stop()
    await split?.stop()
    await redis?.stop()
    await clickhouse?.close()
  })

  async function send(n: number, offset = sent, mk = event) {
    await split.send(n, (i) => mk(offset + i))
    sent += n
  }
  async function storedCount(): Promise<{ n: number; u: number }> {
    const rs = await clickhouse.query({ query: 'SELECT count() AS n, uniqExact(message_id) AS u FROM events FINAL', format: 'JSONEachRow' })
    const [r] = await rs.json<{ n: string; u: string }>()
    return { n: Number(r.n), u: Number(r.u) }
  }
  const allCommitted = () => eventually('every accepted event committed', async () => ((await split.committed()) === split.accepted.length ? true : undefined), 60_000)

  it('pauses while ClickHouse refuses inserts, commits nothing it did not store, and resumes on its own', async () => {
    await send(300)
    await allCommitted()
    expect(await storedCount()).toEqual({ n: 300, u: 300 })

    await clickhouse.command({ query: 'DETACH TABLE events' })
    await send(500)
    expect(split.accepted.length).toBe(800)
    const paused = await eventually('a paused partition', async () => (processor.pausedPartitions().length ? processor.pausedPartitions() : undefined))
    expect(String((paused[0].error as { type?: string }).type)).toBe('UNKNOWN_TABLE')
    // Retries keep failing with a growing delay, and nothing past what was stored is committed meanwhile.
    await eventually('a third failed attempt', async () => (processor.pausedPartitions().some((p) => p.attempts >= 3) ? true : undefined))
    expect(await split.committed()).toBe(300)

    await clickhouse.command({ query: 'ATTACH TABLE events' })
    await allCommitted()
    expect(await storedCount()).toEqual({ n: 800, u: 800 })
    expect(processor.pausedPartitions()).toEqual([])
  }, 180_000)

  it('pauses while Redis is down, then queues every account for scoring once it is back', async () => {
    const port = Number(redis.url.split(':').at(-1))
    const accounts = Array.from({ length: 6 }, () => uniqueName('acct-redis'))
    await redis.stop()
    await send(120, sent, (i) => ({ event: 'feature_used', accountId: accounts[i % accounts.length], properties: { feature: 'export' } }))
    const paused = await eventually('a partition paused for Redis', async () => (processor.pausedPartitions().length ? processor.pausedPartitions() : undefined))
    expect(String((paused[0].error as Error).message)).toMatch(/writeable|Connection|ECONNREFUSED/i)
    expect(await split.committed()).toBe(800)

    redis = await startRedisServer({ dataDir: redisDir, port })
    await allCommitted()
    expect(await storedCount()).toEqual({ n: 920, u: 920 })
    const scored = await eventually(
      'a score for every account of the outage',
      async () => {
        const rs = await clickhouse.query({ query: 'SELECT DISTINCT account_id FROM health_scores WHERE account_id IN {ids:Array(String)}', query_params: { ids: accounts }, format: 'JSONEachRow' })
        const ids = (await rs.json<{ account_id: string }>()).map((r) => r.account_id)
        return ids.length === accounts.length ? ids : undefined
      },
      60_000,
    )
    expect(scored.sort()).toEqual([...accounts].sort())
    expect(processor.pausedPartitions()).toEqual([])
  }, 180_000)

  it('dead-letters the records ClickHouse refuses for their values and stores the rest of their batch', async () => {
    // An operator's CHECK constraint on the typed table: rows breaking it can never be inserted.
    await clickhouse.command({ query: "ALTER TABLE events_feature_used ADD CONSTRAINT no_forbidden CHECK feature != 'forbidden'" })
    const before = split.accepted.length
    await send(60, 0, (i) => ({ event: 'feature_used', accountId: `acct_${i % 10}`, properties: { feature: i % 30 === 7 ? 'forbidden' : 'search' } }))
    await allCommitted()
    const refusedIds = split.accepted.slice(before).filter((_, i) => i % 30 === 7)
    expect(refusedIds).toHaveLength(2)
    const rs = await clickhouse.query({ query: 'SELECT message_id FROM events FINAL WHERE message_id IN {ids:Array(String)}', query_params: { ids: split.accepted.slice(before) }, format: 'JSONEachRow' })
    const stored = (await rs.json<{ message_id: string }>()).map((r) => r.message_id)
    expect(stored).toHaveLength(58)
    expect(stored.filter((id) => refusedIds.includes(id))).toEqual([])

    const consumer = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('dlq-reader') })
    const letters: { id: string; reason: string }[] = []
    await consumer.connect()
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void letters.push({ id: String(message.headers?.ce_id), reason: String(message.headers?.pulse_dlq_reason) }) })
    try {
      await eventually('both refused records in the dead-letter topic', async () => (letters.length >= 2 ? true : undefined))
    } finally {
      await consumer.disconnect()
    }
    expect(letters.map((l) => l.id).sort()).toEqual([...refusedIds].sort())
    expect(letters[0].reason).toMatch(/ClickHouse refused the row: VIOLATED_CONSTRAINT/)
    await clickhouse.command({ query: 'ALTER TABLE events_feature_used DROP CONSTRAINT no_forbidden' })
  }, 120_000)

  it('tells Prometheus, on its own /metrics, what it stored, what failed and what it scored', async () => {
    // This process runs no gateway, so it serves /metrics on PULSE_METRICS_PORT, without a key.
    expect(processor.endpoints.gateway).toBe('')
    const metrics = await eventually('no account left waiting for its score', async () => {
      const res = await fetch(processor.endpoints.metrics)
      expect(res.status).toBe(200)
      const m = parseMetrics(await res.text())
      return m.get('pulse_scoring_pending_accounts', '') === 0 ? m : undefined
    })
    const stored = split.accepted.length - 2
    // Every stored event counted once, whether it came straight or through the verify topic, across the retries.
    expect(metrics.sum('pulse_processor_events_stored_total')).toBe(stored)
    expect(metrics.sum('pulse_processor_store_delay_seconds_count')).toBe(stored)
    expect(metrics.sum('pulse_processor_dead_letters_total')).toBe(2)
    // ClickHouse refused at least three attempts and Redis at least one.
    expect(metrics.sum('pulse_processor_batch_failures_total')).toBeGreaterThanOrEqual(4)
    expect(metrics.sum('pulse_processor_batch_duration_seconds_count')).toBeGreaterThan(metrics.sum('pulse_processor_batch_failures_total'))
    // The 16 accounts of the events above, each scored at least once, every event pass timed.
    expect(metrics.get('pulse_scoring_accounts_scored_total', 'trigger="event"')).toBeGreaterThanOrEqual(16)
    const passes = metrics.get('pulse_scoring_pass_duration_seconds_count', 'trigger="event"')
    expect(passes).toBeGreaterThanOrEqual(1)
    for (const phase of ['read', 'compute', 'insert']) expect(metrics.sum('pulse_scoring_pass_phase_seconds_count', 'trigger="event"', `phase="${phase}"`), phase).toBe(passes)
    expect(metrics.sum('pulse_scoring_delay_seconds_count')).toBe(metrics.get('pulse_scoring_accounts_scored_total', 'trigger="event"'))
    expect(metrics.get('process_resident_memory_bytes', '')).toBeGreaterThan(0)
  }, 60_000)
})

/** Prometheus's text format, read back: each sample by name and label set. */
function parseMetrics(text: string) {
  const samples: { name: string; labels: string; value: number }[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m) samples.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) })
  }
  return {
    /** Over every label set holding each of `labels`. */
    sum: (name: string, ...labels: string[]) => samples.filter((s) => s.name === name && labels.every((l) => s.labels.split(',').includes(l))).reduce((a, s) => a + s.value, 0),
    get(name: string, labels: string) {
      const found = samples.filter((s) => s.name === name && s.labels === labels)
      if (found.length !== 1) throw new Error(`expected one sample ${name}{${labels}}, found ${found.length}: ${samples.filter((s) => s.name === name).map((s) => s.labels).join(' | ')}`)
      return found[0].value
    },
  }
}
