import crypto from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { loadConfig } from '../../platform/config.js'
import { startKafkaBroker, type KafkaBroker } from '../../runtime/kafka-broker.js'
import { createLogger } from '../../runtime/logger.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const API_KEY = 'outage-secret'

describe('Kafka stops and comes back while a producer sends', () => {
  const dataDir = tempDir()
  const kafkaDir = tempDir()
  let broker: KafkaBroker | undefined
  let platform: Platform | undefined
  const clickhouse = createClickHouse({ dataDir })
  afterAll(async () => {
    await platform?.stop()
    await broker?.stop()
    await clickhouse.close()
  })

  it('acknowledges only what Kafka has, answers 503 meanwhile, recovers by itself, and stores each acknowledged event exactly once', async () => {
    broker = await startKafkaBroker({ dataDir: kafkaDir })
    const port = Number(broker.brokers[0].split(':')[1])
    const config = loadConfig({
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: broker.brokers.join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `outage:${API_KEY}`,
      PULSE_REDIS_PREFIX: uniqueName('outage'),
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      PULSE_LOG_LEVEL: 'silent',
    })
    platform = await startPlatform(config, createLogger(config.logLevel))
    const gateway = platform.endpoints.gateway

    const acknowledged: string[] = []
    const statuses: number[] = []
    let phase: 'before' | 'down' | 'after' = 'before'
    const acceptedAfter: string[] = []
    let sending = true
    const senders = Array.from({ length: 4 }, async () => {
      while (sending) {
        const messageId = crypto.randomUUID()
        const res = await fetch(`${gateway}/v1/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify({ event: 'feature_used', messageId, accountId: 'acct_outage', timestamp: new Date().toISOString(), properties: { feature: 'x' } }),
        })
        await res.arrayBuffer()
        statuses.push(res.status)
        if (res.status === 202) {
          acknowledged.push(messageId)
          if (phase === 'after') acceptedAfter.push(messageId)
        } else {
          expect(res.headers.get('retry-after')).toBe('5')
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    })

    await eventually('events accepted before the outage', async () => (acknowledged.length >= 50 ? true : undefined))
    phase = 'down'
    await broker.stop()
    const refusedBefore = statuses.filter((s) => s === 503).length
    await eventually('503s while Kafka is down', async () => (statuses.filter((s) => s === 503).length > refusedBefore + 3 ? true : undefined), 60_000)
    broker = await startKafkaBroker({ dataDir: kafkaDir, port })
    phase = 'after'
    await eventually('events accepted again after Kafka is back', async () => (acceptedAfter.length >= 20 ? true : undefined), 90_000)
    sending = false
    await Promise.all(senders)

    expect(new Set(statuses)).toEqual(new Set([202, 503]))
    const ids = await eventually(
      'every acknowledged event in ClickHouse',
      async () => {
        const rs = await clickhouse.query({ query: "SELECT message_id FROM events FINAL WHERE account_id = 'acct_outage'", format: 'JSONEachRow' })
        const rows = (await rs.json<{ message_id: string }>()).map((r) => r.message_id)
        return acknowledged.every((id) => rows.includes(id)) ? rows : undefined
      },
      90_000,
    )
    // Exactly once in query results. An event answered 503 may still have reached Kafka (its ack was lost);
    // the producer retries it with the same messageId, so that is not a loss, and not checked here.
    expect(ids.length).toBe(new Set(ids).size)
    expect(acknowledged.filter((id) => !ids.includes(id))).toEqual([])
  }, 300_000)
})
