import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import type { PlannedAlert } from '../../processors/playbooks/planned-actions.js'
import { createWebhookQueue, createWebhookWorker, enqueueDeliveries, webhookBody, type DeliveryEndpoint } from '../../processors/playbooks/webhook-delivery.js'
import { verifySignature } from '../../processors/playbooks/webhook-signature.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const SECRET = 'whsec_receiver_1'

/** A real HTTP receiver: answers 503 to the first `failFirst` attempts of each delivery id (or always 500), and records what it accepted. */
function receiver(behaviour: { failFirst: number } | 'always-500') {
  const attempts = new Map<string, number>()
  const accepted: { id: string; body: string; signature: string | undefined; at: number }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const id = (JSON.parse(body) as { id: string }).id
      const n = (attempts.get(id) ?? 0) + 1
      attempts.set(id, n)
      if (behaviour === 'always-500' || n <= behaviour.failFirst) {
        res.writeHead(behaviour === 'always-500' ? 500 : 503).end()
        return
      }
      accepted.push({ id, body, signature: req.headers['pulse-signature'] as string | undefined, at: Date.now() })
      res.writeHead(200).end('ok')
    })
  })
  return {
    attempts,
    accepted,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const alert = (i: number): PlannedAlert => ({
  type: 'alert',
  key: `score-below-60/acct_${i}/1`,
  ruleId: 'score-below-60',
  ruleName: 'Score below 60',
  target: { type: 'account', accountId: `acct_${i}` },
  severity: 'warning',
  title: 'Health score dropped below 60',
  why: [`score ${50 + i}, below 60`],
  to: 'csm_ana',
  toRole: 'csm',
  channels: ['crm'],
  firedAt: Date.now(),
})

// One embedded ClickHouse per process (chDB opens one data directory at a time), shared by both suites.
const clickhouse = createClickHouse({ dataDir: tempDir() })
afterAll(() => clickhouse.close())

describe('alert webhooks: signed, retried with backoff, dead-lettered, logged (real Redis, BullMQ and ClickHouse engine; a real HTTP receiver)', () => {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const flaky = receiver({ failFirst: 2 })
  const broken = receiver('always-500')
  const prefix = uniqueName('hooks')
  const fast = { attempts: 3, backoff: { type: 'exponential' as const, delay: 100 } }
  let endpoints: Map<string, DeliveryEndpoint>
  let queue: ReturnType<typeof createWebhookQueue>
  let worker: ReturnType<typeof createWebhookWorker>

  beforeAll(async () => {
    await migrate(clickhouse)
    endpoints = new Map([
      ['crm', { name: 'crm', kind: 'webhook', url: await flaky.start(), secrets: [SECRET] }],
      ['broken', { name: 'broken', kind: 'webhook', url: await broken.start(), secrets: [SECRET] }],
    ])
    queue = createWebhookQueue(connection, prefix, fast)
    worker = createWebhookWorker({ connection, prefix, clickhouse, endpoints })
  }, 120_000)
  afterAll(async () => {
    await worker?.close()
    await queue?.close()
    await flaky.close()
    await broken.close()
    connection.disconnect()
  })

  it('delivers every alert exactly once by id through a receiver that fails at first, each signed as documented', async () => {
    const crm = [endpoints.get('crm')!]
    const render = (_e: DeliveryEndpoint, id: string, a: PlannedAlert) => webhookBody(a, id)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(...(await enqueueDeliveries(queue, alert(i), crm, (e, id) => render(e, id, alert(i)))))
    // Queued again (a retried dispatch): the delivery ids are the job ids, so nothing is sent twice.
    for (let i = 0; i < 5; i++) await enqueueDeliveries(queue, alert(i), crm, (e, id) => render(e, id, alert(i)))
    await eventually('every delivery accepted', async () => (flaky.accepted.length >= 5 ? true : undefined), 30_000)
    await new Promise((r) => setTimeout(r, 500))
    expect(flaky.accepted.map((a) => a.id).sort()).toEqual([...ids].sort())
    for (const id of ids) expect(flaky.attempts.get(id)).toBe(3) // two refusals, then accepted
    for (const a of flaky.accepted) {
      expect(verifySignature(a.signature, a.body, SECRET, Date.now())).toMatchObject({ ok: true })
      expect(JSON.parse(a.body)).toMatchObject({ id: a.id, type: 'alert.fired', data: { ruleId: 'score-below-60' } })
    }
    const log = await eventually('the delivery log', async () => {
      const rows = await queryRows<{ delivery_id: string; status: string; attempts: number; http_status: number }>(clickhouse, "SELECT delivery_id, status, attempts, http_status FROM webhook_deliveries FINAL WHERE endpoint = 'crm'")
      return rows.length === 5 && rows.every((r) => r.status === 'delivered') ? rows : undefined
    })
    expect(log.every((r) => r.attempts === 3 && r.http_status === 200)).toBe(true)
  })

  it('dead-letters a delivery the receiver refuses on every attempt, with its attempts and last error logged', async () => {
    const [id] = await enqueueDeliveries(queue, alert(9), [endpoints.get('broken')!], (_e, i) => webhookBody(alert(9), i))
    const row = await eventually('the dead letter', async () => {
      const [r] = await queryRows<{ status: string; attempts: number; http_status: number; last_error: string }>(clickhouse, 'SELECT status, attempts, http_status, last_error FROM webhook_deliveries FINAL WHERE delivery_id = {id:String}', { id })
      return r?.status === 'dead' ? r : undefined
    }, 30_000)
    expect(row).toEqual({ status: 'dead', attempts: 3, http_status: 500, last_error: 'HTTP 500' })
    expect(broken.attempts.get(id)).toBe(3)
    const job = await queue.getJob(id)
    expect(await job!.getState()).toBe('failed')
  })
})

describe('alert webhooks when receivers are away or slow (real Redis, BullMQ and ClickHouse engine; real HTTP receivers)', () => {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const prefix = uniqueName('hooks-away')
  const retries = { attempts: 8, backoff: { type: 'exponential' as const, delay: 200 } }
  let queue: ReturnType<typeof createWebhookQueue>
  let worker: ReturnType<typeof createWebhookWorker> | undefined
  const servers: http.Server[] = []
  const listen = (server: http.Server, port = 0) => new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
  const accepting = (accepted: { id: string; body: string; signature: string }[], hold?: Promise<void>) =>
    http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', async () => {
        await hold
        accepted.push({ id: (JSON.parse(body) as { id: string }).id, body, signature: req.headers['pulse-signature'] as string })
        res.writeHead(204).end()
      })
    })

  beforeAll(async () => {
    await migrate(clickhouse)
    queue = createWebhookQueue(connection, prefix, retries)
  }, 120_000)
  afterAll(async () => {
    await worker?.close()
    await queue.close()
    for (const s of servers) s.closeAllConnections()
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    connection.disconnect()
  })

  it('a receiver down for a while, then up, gets every delivery exactly once by id, each with a valid signature', async () => {
    const accepted: { id: string; body: string; signature: string }[] = []
    const probe = http.createServer()
    const port = await listen(probe)
    await new Promise((r) => probe.close(r)) // down: connections to the port are refused
    const endpoints = new Map<string, DeliveryEndpoint>([['crm', { name: 'crm', kind: 'webhook', url: `http://127.0.0.1:${port}/hooks`, secrets: [SECRET] }]])
    worker = createWebhookWorker({ connection, prefix, clickhouse, endpoints })
    const alerts = [0, 1, 2, 3, 4].map((i) => ({ ...alert(i), key: `down-up/${i}` }))
    const ids = (await Promise.all(alerts.map((a) => enqueueDeliveries(queue, a, [endpoints.get('crm')!], (_e, id) => webhookBody(a, id))))).flat()
    await eventually('attempts refused while the receiver is down', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM webhook_deliveries FINAL WHERE endpoint = 'crm' AND status = 'pending' AND delivery_id IN {ids:Array(String)}", { ids })
      return Number(rows[0].n) === ids.length ? true : undefined
    }, 20_000)
    const back = accepting(accepted)
    servers.push(back)
    await listen(back, port)
    await eventually('every delivery accepted once the receiver is back', async () => (accepted.length >= ids.length ? true : undefined), 30_000)
    await new Promise((r) => setTimeout(r, 500))
    expect(accepted.map((a) => a.id).sort()).toEqual([...ids].sort())
    for (const a of accepted) expect(verifySignature(a.signature, a.body, SECRET, Date.now())).toMatchObject({ ok: true })
    const log = await queryRows<{ status: string; attempts: number }>(clickhouse, 'SELECT status, attempts FROM webhook_deliveries FINAL WHERE delivery_id IN {ids:Array(String)}', { ids })
    expect(log.every((r) => r.status === 'delivered' && r.attempts >= 2)).toBe(true)
    await worker.close()
    worker = undefined
  })

  it('a slow receiver does not hold up deliveries to the others', async () => {
    const slowAccepted: { id: string; body: string; signature: string }[] = []
    const fastAccepted: { id: string; body: string; signature: string }[] = []
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const slow = accepting(slowAccepted, held)
    const fast = accepting(fastAccepted)
    servers.push(slow, fast)
    const endpoints = new Map<string, DeliveryEndpoint>([
      ['slow', { name: 'slow', kind: 'webhook', url: `http://127.0.0.1:${await listen(slow)}/`, secrets: [SECRET] }],
      ['fast', { name: 'fast', kind: 'webhook', url: `http://127.0.0.1:${await listen(fast)}/`, secrets: [SECRET] }],
    ])
    worker = createWebhookWorker({ connection, prefix, clickhouse, endpoints, timeoutMs: 60_000 })
    const slowIds = (await Promise.all([0, 1, 2].map((i) => ({ ...alert(i), key: `slow/${i}` })).map((a) => enqueueDeliveries(queue, a, [endpoints.get('slow')!], (_e, id) => webhookBody(a, id))))).flat()
    const fastIds = (await Promise.all([0, 1, 2, 3, 4].map((i) => ({ ...alert(i), key: `fast/${i}` })).map((a) => enqueueDeliveries(queue, a, [endpoints.get('fast')!], (_e, id) => webhookBody(a, id))))).flat()
    // Every fast delivery arrives while the slow receiver still holds all of its requests.
    await eventually('the fast receiver served', async () => (fastAccepted.length >= fastIds.length ? true : undefined), 20_000)
    expect(fastAccepted.map((a) => a.id).sort()).toEqual([...fastIds].sort())
    expect(slowAccepted).toEqual([])
    release()
    await eventually('the slow receiver served once released', async () => (slowAccepted.length >= slowIds.length ? true : undefined), 20_000)
    expect(slowAccepted.map((a) => a.id).sort()).toEqual([...slowIds].sort())
  })
})
