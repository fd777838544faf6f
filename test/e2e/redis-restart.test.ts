import crypto from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { loadConfig } from '../../platform/config.js'
import { createLogger } from '../../runtime/logger.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { startRedisServer, type RedisServer } from '../../runtime/redis-server.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const API_KEY = 'redis-restart-secret'

describe('Redis restarts while scoring jobs wait', () => {
  const dataDir = tempDir()
  const redisDir = tempDir()
  let redis: RedisServer | undefined
  let platform: Platform | undefined
  const clickhouse = createClickHouse({ dataDir })
  afterAll(async () => {
    await platform?.stop()
    await redis?.stop()
    await clickhouse.close()
  })

  it('keeps the waiting jobs and scores every account once Redis is back', async () => {
    redis = await startRedisServer({ dataDir: redisDir })
    const port = Number(redis.url.split(':').at(-1))
    const config = loadConfig({
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: redis.url,
      PULSE_API_KEYS: `t:${API_KEY}`,
      PULSE_EVENTS_TOPIC: uniqueName('pulse.events.redis'),
      PULSE_CONSUMER_GROUP: uniqueName('processor'),
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      // Jobs wait 3 s in Redis before they run: the restart happens while they wait.
      PULSE_SCORING_DEBOUNCE_MS: '3000',
      PULSE_LOG_LEVEL: 'silent',
    })
    platform = await startPlatform(config, createLogger(config.logLevel))
    const accounts = Array.from({ length: 5 }, () => uniqueName('acct'))
    const batch = accounts.map((accountId) => ({ event: 'feature_used', messageId: crypto.randomUUID(), accountId, timestamp: new Date().toISOString(), properties: { feature: 'x' } }))
    const res = await fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ batch }),
    })
    expect((await res.json()).accepted).toBe(5)
    await eventually('the events stored (so their jobs are queued)', async () => {
      const rs = await clickhouse.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
      return Number((await rs.json<{ n: string }>())[0].n) >= 5 ? true : undefined
    })
    const before = await clickhouse.query({ query: 'SELECT count() AS n FROM health_scores', format: 'JSONEachRow' })
    expect(Number((await before.json<{ n: string }>())[0].n)).toBe(0)

    await redis.stop()
    await new Promise((r) => setTimeout(r, 1000))
    redis = await startRedisServer({ dataDir: redisDir, port })

    const scored = await eventually(
      'a score for every account',
      async () => {
        const rs = await clickhouse.query({ query: 'SELECT DISTINCT account_id FROM health_scores', format: 'JSONEachRow' })
        const ids = (await rs.json<{ account_id: string }>()).map((r) => r.account_id)
        return accounts.every((a) => ids.includes(a)) ? ids : undefined
      },
      60_000,
    )
    expect(scored.sort()).toEqual([...accounts].sort())
  }, 120_000)
})
