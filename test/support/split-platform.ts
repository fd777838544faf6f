import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { loadConfig } from '../../platform/config.js'
import { createLogger } from '../../runtime/logger.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { tempDir, uniqueName } from './fixtures.js'

const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))

/**
 * A platform split the way fault tests need it: registry and gateway in the test process, event processors
 * in child processes (each with its own embedded chDB directory) that a test can kill, all on one topic,
 * consumer group and Redis prefix.
 */
export async function startSplitPlatform(apiKey: string) {
  const names = { topic: uniqueName('pulse.events.split'), group: uniqueName('processor'), redisPrefix: uniqueName('split') }
  const dataDir = tempDir()
  const config = loadConfig({
    PULSE_COMPONENTS: 'registry,gateway',
    PULSE_DATA_DIR: dataDir,
    PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
    PULSE_REDIS_URL: inject('redisUrl'),
    PULSE_API_KEYS: `split:${apiKey}`,
    PULSE_EVENTS_TOPIC: names.topic,
    PULSE_CONSUMER_GROUP: names.group,
    PULSE_REDIS_PREFIX: names.redisPrefix,
    PULSE_GATEWAY_PORT: '0',
    PULSE_REGISTRY_PORT: '0',
    PULSE_RATE_LIMIT: '100000/1s',
    PULSE_LOG_LEVEL: 'silent',
  })
  const platform: Platform = await startPlatform(config, createLogger(config.logLevel))
  const admin: Admin = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  const accepted: string[] = []

  return {
    platform,
    accepted,
    names,
    /** The in-process part's data directory; another platform in this process may share its chDB store. */
    dataDir,
    /** A process running only `components` of Pulse on `dataDir`. */
    startProcessor(dataDir: string, components = 'processor'): ChildProcess {
      return spawn(process.execPath, [PULSE_BIN, 'dev'], {
        env: {
          ...process.env,
          PULSE_COMPONENTS: components,
          PULSE_DATA_DIR: dataDir,
          PULSE_REGISTRY_URL: platform.endpoints.registry,
          // The registry's reads need a key: the test's own.
          PULSE_API_KEY: apiKey,
          PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
          PULSE_REDIS_URL: inject('redisUrl'),
          PULSE_EVENTS_TOPIC: names.topic,
          PULSE_CONSUMER_GROUP: names.group,
          PULSE_REDIS_PREFIX: names.redisPrefix,
          PULSE_METRICS_PORT: '0',
          PULSE_LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      })
    },
    /** Sends `n` events in batches of 200 and records the accepted messageIds. */
    async send(n: number, event: (i: number) => { event: string; accountId: string; properties: unknown }): Promise<void> {
      for (let i = 0; i < n; i += 200) {
        const batch = Array.from({ length: Math.min(200, n - i) }, (_, j) => ({ ...event(i + j), messageId: crypto.randomUUID(), timestamp: new Date().toISOString() }))
        const res = await fetch(`${platform.endpoints.gateway}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ batch }),
        })
        ;((await res.json()).results as { status: string }[]).forEach((r, k) => r.status === 'accepted' && accepted.push(batch[k].messageId))
      }
    },
    /** Events the processors' consumer group has committed, over all partitions. */
    async committed(): Promise<number> {
      const [t] = await admin.fetchOffsets({ groupId: names.group, topics: [names.topic] })
      return t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
    },
    async stop(): Promise<void> {
      await admin.disconnect()
      await platform.stop()
    },
  }
}

export function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve(p.exitCode) : p.once('exit', (code) => resolve(code))))
}
