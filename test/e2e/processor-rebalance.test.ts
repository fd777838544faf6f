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
const API_KEY = 'rebalance-secret'

// Two processor instances in one consumer group, each a process with its own embedded chDB store (chDB is
// one directory per process); the union of the two stores is what a shared ClickHouse server would hold.
describe('two processor instances share the partitions through rebalances', () => {
  const topic = uniqueName('pulse.events.rebalance')
  const group = uniqueName('processor')
  const redisPrefix = uniqueName('rebalance')
  const dirs = [tempDir(), tempDir()]
  const children: ChildProcess[] = []
  let platform: Platform | undefined
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    await platform?.stop()
  })

  const startProcessor = (dir: string, registryUrl: string) => {
    const p = spawn(process.execPath, [PULSE_BIN, 'dev'], {
      env: {
        ...process.env,
        PULSE_COMPONENTS: 'processor',
        PULSE_DATA_DIR: dir,
        PULSE_REGISTRY_URL: registryUrl,
        PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        PULSE_REDIS_URL: inject('redisUrl'),
        PULSE_EVENTS_TOPIC: topic,
        PULSE_CONSUMER_GROUP: group,
        PULSE_REDIS_PREFIX: redisPrefix,
        PULSE_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    })
    children.push(p)
    return p
  }
  const stopped = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', r)))

  it('stores every accepted event once across both instances', async () => {
    const config = loadConfig({
      PULSE_COMPONENTS: 'registry,gateway',
      PULSE_DATA_DIR: tempDir(),
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `r:${API_KEY}`,
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
        const batch = Array.from({ length: 200 }, (_, j) => ({ event: 'user_login', messageId: crypto.randomUUID(), accountId: `acct_${(i + j) % 30}`, timestamp: new Date().toISOString(), properties: { method: 'SSO' } }))
        const res = await fetch(`${platform!.endpoints.gateway}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ batch }) })
        ;((await res.json()).results as any[]).forEach((r, k) => r.status === 'accepted' && accepted.push(batch[k].messageId))
      }
    }
    const admin = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)

    // One instance starts alone; a second joins while events flow (rebalance); then the first leaves (rebalance).
    const first = startProcessor(dirs[0], platform.endpoints.registry)
    await send(2000)
    await eventually('the first instance under way', async () => ((await committed()) > 0 ? true : undefined), 120_000)
    const second = startProcessor(dirs[1], platform.endpoints.registry)
    await send(3000)
    first.kill('SIGTERM')
    expect(await stopped(first)).toBe(0)
    await send(2000)
    expect(accepted.length).toBe(7000)
    await eventually('every event committed', async () => ((await committed()) >= 7000 ? true : undefined), 120_000)
    second.kill('SIGTERM')
    expect(await stopped(second)).toBe(0)
    await admin.disconnect()
    await platform.stop()
    platform = undefined

    const perStore: string[][] = []
    for (const dir of dirs) {
      const clickhouse = createClickHouse({ dataDir: dir })
      try {
        const rs = await clickhouse.query({ query: 'SELECT message_id FROM events FINAL', format: 'JSONEachRow' })
        perStore.push((await rs.json<{ message_id: string }>()).map((r) => r.message_id))
      } finally {
        await clickhouse.close()
      }
    }
    const all = perStore.flat()
    expect(perStore[0].length).toBeGreaterThan(0)
    expect(perStore[1].length).toBeGreaterThan(0)
    expect(all.length).toBe(new Set(all).size) // nothing stored twice, not even across instances
    expect(new Set(all)).toEqual(new Set(accepted)) // nothing lost
  }, 300_000)
})
