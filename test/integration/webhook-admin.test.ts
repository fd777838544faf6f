import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { webhooksCommand } from '../../cli/webhooks.js'
import type { GraphQLContext } from '../../graphql/context.js'
import { createGraphQLServer, type GraphQLServer } from '../../graphql/index.js'
import { WebhookResolver } from '../../graphql/webhooks.js'
import { migrate } from '../../migrations/runner.js'
import type { PlannedAlert } from '../../processors/playbooks/planned-actions.js'
import { listDeliveries, replayDelivery, ReplayRefused, sendTestDelivery, type DeliveryRecord } from '../../processors/playbooks/webhook-admin.js'
import { createWebhookQueue, createWebhookWorker, enqueueDeliveries, webhookBody, type DeliveryEndpoint } from '../../processors/playbooks/webhook-delivery.js'
import { verifySignature } from '../../processors/playbooks/webhook-signature.js'
import { createScoreEvents, loadScorecard } from '../../processors/scoring/index.js'
import { ApiKeys, bearer } from '../../runtime/auth/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const SECRET = 'whsec_admin_receiver'

interface Received {
  path: string
  body: string
  signature: string | undefined
  at: number
  status: number
}

/** A real HTTP receiver whose answer can be switched (500 while "down", 200 once it recovers); it records every request. */
function receiver() {
  const received: Received[] = []
  let answer = 500
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      received.push({ path: req.url ?? '', body, signature: req.headers['pulse-signature'] as string | undefined, at: Date.now(), status: answer })
      res.writeHead(answer).end()
    })
  })
  return {
    received,
    answer: (status: number) => void (answer = status),
    of: (id: string) => received.filter((r) => r.body.includes(id)),
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const alert: PlannedAlert = {
  type: 'alert',
  key: 'score-below-40/acct_replay/1',
  ruleId: 'score-below-40',
  ruleName: 'Score below 40',
  target: { type: 'account', accountId: 'acct_replay' },
  severity: 'critical',
  title: 'Health score dropped below 40',
  why: ['score 31, below 40'],
  to: 'csm_ana',
  toRole: 'csm',
  channels: ['crm'],
  firedAt: Date.now(),
}

describe('webhook delivery log, test deliveries and replays (real Redis, BullMQ, ClickHouse engine, HTTP receiver and GraphQL server)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const redis = { publish: new Redis(inject('redisUrl')), subscribe: new Redis(inject('redisUrl')), keys: new Redis(inject('redisUrl')) }
  const prefix = uniqueName('hooks-admin')
  const crm = receiver()
  // Two attempts 50 ms apart: a dead letter in a fraction of a second.
  const retries = { attempts: 2, backoff: { type: 'fixed' as const, delay: 50 } }
  const secrets = { reader: 'reader-secret-1', writer: 'writer-secret-1' }
  let endpoints: Map<string, DeliveryEndpoint>
  let queue: ReturnType<typeof createWebhookQueue>
  let worker: ReturnType<typeof createWebhookWorker>
  let server: GraphQLServer
  let url = ''

  const logOf = async (id: string): Promise<DeliveryRecord | undefined> => (await listDeliveries(clickhouse, { limit: 500 })).find((r) => r.id === id)
  const settled = (id: string, status: DeliveryRecord['status'], attempts: number) =>
    eventually(`${id} ${status} after ${attempts} attempts`, async () => {
      const r = await logOf(id)
      return r?.status === status && r.attempts === attempts ? r : undefined
    }, 20_000)

  beforeAll(async () => {
    await migrate(clickhouse)
    const base = await crm.start()
    endpoints = new Map<string, DeliveryEndpoint>([
      ['crm', { name: 'crm', kind: 'webhook', url: `${base}/crm`, secrets: [SECRET] }],
      ['ops-slack', { name: 'ops-slack', kind: 'slack', url: `${base}/slack`, secrets: [] }],
    ])
    queue = createWebhookQueue(connection, prefix, retries)
    worker = createWebhookWorker({ connection, prefix, clickhouse, endpoints })
    const apiKeys = new ApiKeys(redis.keys, uniqueName('keys'), new Map([
      ['reader', { secret: secrets.reader, scopes: ['read'] }],
      ['writer', { secret: secrets.writer, scopes: ['read', 'write'] }],
    ]), 0)
    const scoreEvents = createScoreEvents({ publishClient: redis.publish, subscribeClient: redis.subscribe, channel: uniqueName('scores') })
    server = await createGraphQLServer({
      apiKeys,
      clickhouse,
      scoreEvents,
      scorecard: loadScorecard({}),
      logger: pino({ level: 'silent' }),
      webhooks: { endpoints: [...endpoints.keys()], test: (name) => sendTestDelivery(queue, endpoints.get(name)!, Date.now()), replay: (id) => replayDelivery(queue, id) },
    })
    url = `${await server.app.listen({ port: 0, host: '127.0.0.1' })}/graphql`
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    await worker?.close()
    await queue?.close()
    await crm.close()
    connection.disconnect()
    for (const r of Object.values(redis)) r.disconnect()
    await clickhouse.close()
  })

  const graphql = async (query: string, variables: Record<string, unknown> = {}, secret = secrets.writer) => {
    const res = await server.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, headers: { authorization: bearer(secret) } })
    return res.json() as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] }
  }

  let deadId = ''

  it('logs a delivery the receiver refuses as dead, with its attempts, HTTP status, last error and first attempt time', async () => {
    crm.answer(500)
    ;[deadId] = await enqueueDeliveries(queue, alert, [endpoints.get('crm')!], (_e, id) => webhookBody(alert, id))
    const row = await settled(deadId, 'dead', 2)
    expect(row).toMatchObject({ endpoint: 'crm', type: 'alert.fired', httpStatus: 500, lastError: 'HTTP 500' })
    const [first, second] = crm.of(deadId)
    expect(crm.of(deadId)).toHaveLength(2)
    // The first attempt's start, not the last one's (BullMQ moves processedOn with every attempt).
    expect(row.firstAttemptAt.getTime()).toBeLessThanOrEqual(first.at)
    expect(second.at - row.firstAttemptAt.getTime()).toBeGreaterThanOrEqual(40)
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(second.at)
    expect((await listDeliveries(clickhouse, { status: 'dead', endpoint: 'crm', limit: 10 })).map((r) => r.id)).toEqual([deadId])
    expect(await listDeliveries(clickhouse, { status: 'delivered', endpoint: 'crm', limit: 10 })).toEqual([])
    expect(await listDeliveries(clickhouse, { endpoint: 'crm', since: Date.now() + 60_000, limit: 10 })).toEqual([])
  })

  it('a replay while the receiver is still down gets a fresh retry schedule and is dead again after it, every attempt counted', async () => {
    await expect(replayDelivery(queue, deadId)).resolves.toEqual({ id: deadId, was: 'dead', attempts: 2 })
    const row = await settled(deadId, 'dead', 4)
    expect(crm.of(deadId)).toHaveLength(4)
    expect(row.firstAttemptAt.getTime()).toBeLessThanOrEqual(crm.of(deadId)[0].at)
  })

  it('once the receiver recovers, a replay delivers the same id and bytes with a valid signature, and the log shows it delivered', async () => {
    crm.answer(200)
    await replayDelivery(queue, deadId)
    const row = await settled(deadId, 'delivered', 5)
    expect(row).toMatchObject({ httpStatus: 200, lastError: '' })
    // The superseded dead rows (not merged away yet) never match a status filter: FINAL is applied first.
    expect((await listDeliveries(clickhouse, { status: 'dead', limit: 500 })).map((r) => r.id)).not.toContain(deadId)
    const attempts = crm.of(deadId)
    expect(attempts).toHaveLength(5)
    const delivered = attempts[4]
    expect(delivered.status).toBe(200)
    expect(delivered.body).toBe(attempts[0].body)
    expect(JSON.parse(delivered.body)).toMatchObject({ id: deadId, type: 'alert.fired', data: { ruleId: 'score-below-40' } })
    expect(verifySignature(delivered.signature, delivered.body, SECRET, Date.now())).toMatchObject({ ok: true })
    // Signed when sent: a replay hours later must not carry a timestamp receivers would reject as too old.
    const t = Number(/^t=(\d+),/.exec(delivered.signature!)![1])
    expect(Math.abs(t - Math.floor(delivered.at / 1000))).toBeLessThanOrEqual(1)
  })

  it('a delivered one can be replayed too (same id: the receiver dedupes), and one still pending or unknown is refused clearly', async () => {
    await expect(replayDelivery(queue, deadId)).resolves.toMatchObject({ was: 'delivered', attempts: 5 })
    await settled(deadId, 'delivered', 6)
    expect(crm.of(deadId)).toHaveLength(6)

    const unknown = replayDelivery(queue, 'dlv_nope')
    await expect(unknown).rejects.toBeInstanceOf(ReplayRefused)
    await expect(unknown).rejects.toMatchObject({ reason: 'not_found', message: expect.stringMatching(/^no delivery "dlv_nope" in the webhook queue/) })

    // A queue no worker serves: the job waits, and a replay would only duplicate what is coming anyway.
    const idle = createWebhookQueue(connection, uniqueName('hooks-idle'), retries)
    try {
      const waiting = await sendTestDelivery(idle, endpoints.get('crm')!, Date.now())
      await expect(replayDelivery(idle, waiting)).rejects.toMatchObject({ reason: 'pending', message: `delivery "${waiting}" is still pending (waiting, 0 attempts so far): it will be attempted again on its own; replay is for dead or delivered ones` })
    } finally {
      await idle.close()
    }
  })

  it('a test delivery arrives signed (or as a Slack message) and is logged like an alert', async () => {
    const before = Date.now()
    const id = await sendTestDelivery(queue, endpoints.get('crm')!, before)
    const slackId = await sendTestDelivery(queue, endpoints.get('ops-slack')!, before)
    expect(id).toMatch(/^dlv_test_[0-9a-f]{24}$/)
    await settled(id, 'delivered', 1)
    await settled(slackId, 'delivered', 1)
    const [got] = crm.of(id)
    expect(got.path).toBe('/crm')
    expect(JSON.parse(got.body)).toEqual({ id, type: 'webhook.test', time: new Date(before).toISOString(), data: { endpoint: 'crm', message: expect.stringContaining('test delivery from Pulse') } })
    expect(verifySignature(got.signature, got.body, SECRET, Date.now())).toMatchObject({ ok: true })
    const [slack] = crm.of(slackId)
    expect(slack.path).toBe('/slack')
    expect(slack.signature).toBeUndefined()
    expect(JSON.parse(slack.body)).toMatchObject({ text: expect.stringContaining('ops-slack'), blocks: expect.any(Array) })
    expect((await listDeliveries(clickhouse, { type: 'webhook.test', limit: 10 })).map((r) => r.id).sort()).toEqual([id, slackId].sort())
  })

  it('GraphQL: the log with filters, testWebhook and replayWebhookDelivery, and specific errors', async () => {
    const log = await graphql(`{ webhookDeliveries(endpoint: "crm", status: DELIVERED, type: "alert.fired") { id endpoint type status attempts httpStatus lastError latencyMs firstAttemptAt updatedAt } }`, {}, secrets.reader)
    expect(log.errors).toBeUndefined()
    expect(log.data.webhookDeliveries).toEqual([{ id: deadId, endpoint: 'crm', type: 'alert.fired', status: 'DELIVERED', attempts: 6, httpStatus: 200, lastError: null, latencyMs: expect.any(Number), firstAttemptAt: expect.any(String), updatedAt: expect.any(String) }])
    const newestFirst = (await graphql('{ webhookDeliveries(first: 2) { updatedAt } }')).data.webhookDeliveries.map((r: { updatedAt: string }) => r.updatedAt)
    expect(newestFirst).toHaveLength(2)
    expect(newestFirst[0] >= newestFirst[1]).toBe(true)
    expect((await graphql('{ webhookDeliveries(first: 0) { id } }')).errors?.[0]).toMatchObject({ message: 'first must be between 1 and 500, got 0', extensions: { code: 'BAD_USER_INPUT' } })

    const tested = await graphql('mutation { testWebhook(endpoint: "crm") }')
    expect(tested.errors).toBeUndefined()
    const id = tested.data.testWebhook as string
    const one = await eventually('the test delivery in GraphQL', async () => {
      const r = (await graphql('query($id: ID!) { webhookDelivery(id: $id) { id status type attempts } }', { id }, secrets.reader)).data.webhookDelivery
      return r?.status === 'DELIVERED' ? r : undefined
    }, 20_000)
    expect(one).toEqual({ id, status: 'DELIVERED', type: 'webhook.test', attempts: 1 })
    expect((await graphql('{ webhookDelivery(id: "dlv_nope") { id } }')).data.webhookDelivery).toBeNull()

    expect((await graphql('mutation { testWebhook(endpoint: "crn") }')).errors?.[0]).toMatchObject({ message: 'no endpoint "crn": the configured endpoints are "crm", "ops-slack"', extensions: { code: 'BAD_USER_INPUT' } })
    expect((await graphql('mutation { replayWebhookDelivery(id: "dlv_nope") }')).errors?.[0]).toMatchObject({ message: expect.stringMatching(/^no delivery "dlv_nope"/), extensions: { code: 'NOT_FOUND' } })
    expect((await graphql('mutation { testWebhook(endpoint: "crm") }', {}, secrets.reader)).errors?.[0].extensions?.code).toBe('FORBIDDEN')

    const replayed = await graphql('mutation($id: ID!) { replayWebhookDelivery(id: $id) }', { id })
    expect(replayed).toEqual({ data: { replayWebhookDelivery: id } })
    await settled(id, 'delivered', 2)

    // A server without the webhook queue says so rather than failing obscurely.
    const ctx = { clickhouse } as unknown as GraphQLContext
    await expect(new WebhookResolver().testWebhook('crm', ctx)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } })
    await expect(new WebhookResolver().replayWebhookDelivery('x', ctx)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } })
  })

  it('pulse webhooks list, test and replay against the running server', async () => {
    const out: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
    try {
      const flags = ['--graphql', url, '--key', secrets.writer]
      expect(await webhooksCommand(['list', '--endpoint', 'crm', '--status', 'delivered', '--type', 'alert.fired', ...flags], {})).toBe(0)
      const table = out.join('\n').split('\n')
      expect(table[0]).toMatch(/^UPDATED \(UTC\)\s+STATUS\s+ENDPOINT\s+TYPE\s+ATTEMPTS\s+HTTP\s+LATENCY\s+ID\s+LAST ERROR$/)
      expect(table.slice(1)).toEqual([expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+delivered\\s+crm\\s+alert\\.fired\\s+6\\s+200\\s+\\d+ ms\\s+${deadId}$`))])

      out.length = 0
      expect(await webhooksCommand(['test', 'crm', ...flags], {})).toBe(0)
      expect(out[0]).toMatch(/^test delivery dlv_test_[0-9a-f]{24} queued$/)
      expect(out[1]).toMatch(/^dlv_test_[0-9a-f]{24} delivered to crm: HTTP 200 in \d+ ms \(1 attempt\)$/)

      out.length = 0
      expect(await webhooksCommand(['replay', deadId, ...flags], {})).toBe(0)
      expect(out).toEqual([`replay of ${deadId} queued`, expect.stringMatching(new RegExp(`^${deadId} delivered to crm: HTTP 200 in \\d+ ms \\(7 attempts\\)$`))])

      out.length = 0
      expect(await webhooksCommand(['list', '--json', '--limit', '1', ...flags], {})).toBe(0)
      expect(JSON.parse(out.join('\n'))).toEqual([expect.objectContaining({ id: deadId, status: 'DELIVERED', attempts: 7 })])

      await expect(webhooksCommand(['replay', 'dlv_nope', ...flags], {})).rejects.toThrow(/answered: no delivery "dlv_nope" in the webhook queue/)
      await expect(webhooksCommand(['list', '--status', 'lost', ...flags], {})).rejects.toThrow('--status must be one of pending, delivered, dead, got "lost"')
    } finally {
      log.mockRestore()
    }
  })
})
