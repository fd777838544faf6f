import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { startKafkaBroker } from '../../runtime/kafka-broker.js'
import { eventually, tempDir } from '../support/fixtures.js'

const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))
const API_KEY = 'shutdown-secret'

describe('`pulse dev` stopped by SIGTERM while events arrive', () => {
  // If an assertion fails before the SIGTERM, the child (and the Kafka and Redis it launched) must not outlive the test.
  let running: ReturnType<typeof spawn> | undefined
  afterEach(() => {
    if (running && running.exitCode === null) running.kill('SIGTERM')
  })

  it('launches its own Kafka and Redis, loses no acknowledged event, and leaves nothing running', async () => {
    const dataDir = tempDir()
    const child = spawn(process.execPath, [PULSE_BIN, 'dev'], {
      env: {
        ...process.env,
        PULSE_KAFKA_BROKERS: '',
        PULSE_REDIS_URL: '',
        PULSE_DATA_DIR: dataDir,
        PULSE_API_KEYS: `test:${API_KEY}`,
        PULSE_GATEWAY_PORT: '0',
        PULSE_REGISTRY_PORT: '0',
        PULSE_GRAPHQL_PORT: '0',
        PULSE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    running = child
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stdout += d))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

    const gateway = await eventually('the endpoints printed by pulse dev', async () => (/\n\s+schemas\s/.test(stdout) ? /gateway\s+(http:\S+)\/v1\/track/.exec(stdout)?.[1] : undefined), 120_000)
    const kafkaAddress = /kafka\s+(\S+:\d+)/.exec(stdout)![1]
    const redisAddress = /redis\s+redis:\/\/(\S+:\d+)/.exec(stdout)![1]

    // Keep a steady stream of events going, and stop Pulse in the middle of it.
    const acknowledged: string[] = []
    const statuses = new Map<number, number>()
    let sending = true
    const senders = Array.from({ length: 8 }, async () => {
      while (sending) {
        const messageId = crypto.randomUUID()
        const status = await fetch(`${gateway}/v1/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify({ event: 'feature_used', messageId, accountId: 'acct_stop', timestamp: new Date().toISOString(), properties: { feature: 'x' } }),
        }).then((r) => r.status, () => 0)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (status === 202) acknowledged.push(messageId)
        if (status === 0) return // the gateway is gone
      }
    })
    await eventually('some events accepted', async () => (acknowledged.length >= 50 ? true : undefined))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    sending = false
    await Promise.all(senders)
    expect(stdout).toContain('Pulse stopped.')
    expect([...statuses.keys()].every((s) => s === 202 || s === 503 || s === 0)).toBe(true)

    // Kafka and Redis went down with Pulse.
    expect(await canConnect(kafkaAddress)).toBe(false)
    expect(await canConnect(redisAddress)).toBe(false)

    // Every acknowledged event is in the topic: start the same broker again on its data and read it all.
    const broker = await startKafkaBroker({ dataDir, port: Number(kafkaAddress.split(':')[1]) })
    try {
      const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING })
      const admin = kafka.admin()
      await admin.connect()
      const total = (await admin.fetchTopicOffsets('pulse.events')).reduce((n, o) => n + Number(o.high), 0)
      await admin.disconnect()
      const inTopic = new Set<string>()
      const consumer = kafka.consumer({ groupId: `reader-${crypto.randomUUID()}` })
      await consumer.connect()
      await consumer.subscribe({ topic: 'pulse.events', fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => void inTopic.add(message.headers!.ce_id!.toString()) })
      await eventually('the topic read to its end', async () => (inTopic.size >= total ? true : undefined))
      await consumer.disconnect()
      expect(acknowledged.length).toBeGreaterThanOrEqual(50)
      expect(acknowledged.filter((id) => !inTopic.has(id))).toEqual([])
    } finally {
      await broker.stop()
    }
  }, 240_000)
})

function canConnect(address: string): Promise<boolean> {
  const [host, port] = address.split(':')
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
