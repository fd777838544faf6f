import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { loadConfig } from '../../runtime/config.js'
import { createLogger } from '../../runtime/logger.js'
import { startPlatform, type Platform } from '../../runtime/platform.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))
const API_KEY = 'crash-secret'

describe('the processor is killed with SIGKILL in the middle of its work', () => {
  const topic = uniqueName('pulse.events.crash')
  const group = uniqueName('processor')
  const redisPrefix = uniqueName('crash')
  const processorDir = tempDir()
  let platform: Platform | undefined
  let child: ChildProcess | undefined
  afterAll(async () => {
    child?.kill('SIGKILL')
    await platform?.stop()
  })

  /** A process that runs only the event processor (and scoring) on its own chDB data directory. */
  const startProcessor = (registryUrl: string) => {
    const p = spawn(process.execPath, [PULSE_BIN, 'dev'], {
      env: {
        ...process.env,
        PULSE_COMPONENTS: 'processor,scoring',
        PULSE_DATA_DIR: processorDir,
        PULSE_REGISTRY_URL: registryUrl,
        PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        PULSE_REDIS_URL: inject('redisUrl'),
        PULSE_EVENTS_TOPIC: topic,
        PULSE_CONSUMER_GROUP: group,
        PULSE_REDIS_PREFIX: redisPrefix,
        PULSE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    p.stdout!.on('data', (d) => (out += d))
    p.stderr!.on('data', (d) => (out += d))
    return { process: p, output: () => out }
  }

  it('loses and doubles nothing: after a restart the rows equal the accepted events exactly', async () => {
    // The gateway and registry in this process; the processor in a child we can kill.
    const config = loadConfig({
      PULSE_COMPONENTS: 'registry,gateway',
      PULSE_DATA_DIR: tempDir(),
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `crash:${API_KEY}`,
      PULSE_EVENTS_TOPIC: topic,
      PULSE_CONSUMER_GROUP: group,
      PULSE_REDIS_PREFIX: redisPrefix,
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_RATE_LIMIT: '100000/1s',
      PULSE_LOG_LEVEL: 'silent',
    })
    platform = await startPlatform(config, createLogger(config.logLevel))

    const accepted: string[] = []
    const send = async (n: number) => {
      for (let i = 0; i < n; i += 200) {
        const batch = Array.from({ length: 200 }, (_, j) => ({ event: 'feature_used', messageId: crypto.randomUUID(), accountId: `acct_${(i + j) % 20}`, timestamp: new Date().toISOString(), properties: { feature: `f${j % 5}` } }))
        const res = await fetch(`${platform!.endpoints.gateway}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ batch }) })
        const body = await res.json()
        body.results.forEach((r: any, k: number) => r.status === 'accepted' && accepted.push(batch[k].messageId))
      }
    }
    await send(6000)
    expect(accepted.length).toBe(6000)

    const admin = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)

    // Kill it once it has committed some, but not all, of the events: mid-stream, likely mid-batch.
    const first = startProcessor(platform.endpoints.registry)
    child = first.process
    const sendMore = send(4000)
    await eventually('the processor under way', async () => ((await committed()) > 0 ? true : undefined), 120_000)
    first.process.kill('SIGKILL')
    await new Promise((r) => first.process.once('exit', r))
    await sendMore
    expect(accepted.length).toBe(10_000)
    const atKill = await committed()
    expect(atKill).toBeLessThan(10_000)

    const second = startProcessor(platform.endpoints.registry)
    child = second.process
    await eventually('every event committed after the restart', async () => ((await committed()) >= 10_000 ? true : undefined), 120_000)
    second.process.kill('SIGTERM')
    expect(await new Promise((r) => second.process.once('exit', r))).toBe(0)
    child = undefined
    await admin.disconnect()

    // The processor's data directory, opened now that no process holds it (chDB: one directory per process).
    await platform.stop()
    platform = undefined
    const clickhouse = createClickHouse({ dataDir: processorDir })
    try {
      const rs = await clickhouse.query({ query: 'SELECT count() AS n, uniqExact(message_id) AS u FROM events FINAL', format: 'JSONEachRow' })
      expect((await rs.json<{ n: string; u: string }>())[0]).toMatchObject({ n: 10_000, u: 10_000 })
      const ids = await clickhouse.query({ query: 'SELECT message_id FROM events FINAL', format: 'JSONEachRow' })
      const stored = new Set((await ids.json<{ message_id: string }>()).map((r) => r.message_id))
      expect(accepted.filter((id) => !stored.has(id))).toEqual([])
    } finally {
      await clickhouse.close()
    }
  }, 300_000)
})
