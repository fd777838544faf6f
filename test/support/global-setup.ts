import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { startKafkaBroker, type KafkaBroker } from '../../runtime/kafka-broker.js'
import { startRedisServer, type RedisServer } from '../../runtime/redis-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
    redisUrl: string
  }
}

/**
 * One real Kafka broker and one real Redis for the whole run (or the ones PULSE_KAFKA_BROKERS and
 * PULSE_REDIS_URL name); test files keep apart through their own topics, consumer groups and key prefixes.
 */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-test-services-'))
  let kafka: KafkaBroker | undefined
  let redis: RedisServer | undefined
  const brokers = process.env.PULSE_KAFKA_BROKERS?.split(',') ?? (kafka = await startKafkaBroker({ dataDir: dir })).brokers
  const redisUrl = process.env.PULSE_REDIS_URL ?? (redis = await startRedisServer({ dataDir: dir })).url
  project.provide('kafkaBrokers', brokers)
  project.provide('redisUrl', redisUrl)
  return async () => {
    await Promise.all([kafka?.stop(), redis?.stop()])
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
