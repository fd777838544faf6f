import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import zlib from 'node:zlib'
import { Analytics } from '@segment/analytics-node'
import RudderAnalytics from '@rudderstack/rudder-sdk-node'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../platform/config.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { createLogger } from '../../runtime/logger.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { pythonSupportFile, pythonTools } from '../support/python.js'

/** One write key per library, so each one's drift is told apart by its source. */
const KEYS = {
  'segment-node': `wk_segment_node_${crypto.randomBytes(6).toString('hex')}`,
  'rudder-node': `wk_rudder_node_${crypto.randomBytes(6).toString('hex')}`,
  'segment-python': `wk_segment_py_${crypto.randomBytes(6).toString('hex')}`,
  'rudder-python': `wk_rudder_py_${crypto.randomBytes(6).toString('hex')}`,
  contract: `wk_contract_${crypto.randomBytes(6).toString('hex')}`,
}
type Library = keyof typeof KEYS
const RUN = crypto.randomBytes(3).toString('hex')
const accountOf = (lib: string) => `acct_${lib}_${RUN}`

function run(command: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args)
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

/**
 * Segment's and RudderStack's own libraries, pointed at Pulse by their host setting alone, against the real
 * platform (Kafka, Redis, the registry with the catalog, the processor writing to ClickHouse).
 */
describe('Segment-compatible ingestion, proven with the real Segment and RudderStack SDKs', () => {
  const dataDir = tempDir()
  let platform: Platform
  const clickhouse = createClickHouse({ dataDir })
  const rows = async <T>(query: string, params: Record<string, unknown> = {}) => (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()

  beforeAll(async () => {
    const config = loadConfig({
      PULSE_COMPONENTS: 'registry,gateway,processor,graphql',
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: Object.entries(KEYS).map(([name, secret]) => `${name}:${secret}:${name === 'contract' ? 'track+read' : 'track'}`).join(','),
      PULSE_EVENTS_TOPIC: uniqueName('pulse.events.segment'),
      PULSE_CONSUMER_GROUP: uniqueName('processor'),
      PULSE_REDIS_PREFIX: uniqueName('segment'),
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      PULSE_LOG_LEVEL: 'silent',
    })
    platform = await startPlatform(config, createLogger(config.logLevel))
  })
  afterAll(async () => {
    await platform?.stop()
    await clickhouse.close()
  })

  const post = (path: string, body: unknown, authorization: string | null = `Bearer ${KEYS.contract}`, headers: Record<string, string> = {}) =>
    fetch(`${platform.endpoints.gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...headers },
      body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    })
  const writeKey = (secret: string) => `Basic ${Buffer.from(`${secret}:`).toString('base64')}`

  /** The stored events of an account, once `n` of them are in ClickHouse. */
  const storedEvents = (account: string, n: number) =>
    eventually(`${n} events of ${account} in ClickHouse`, async () => {
      const found = await rows<{ event: string; user_id: string | null; source: string; properties: string; timestamp: string }>(
        'SELECT event, user_id, source, properties, toString(timestamp) AS timestamp FROM events WHERE account_id = {a:String} ORDER BY event',
        { a: account },
      )
      return found.length >= n ? found : undefined
    }, 60_000)

  /** Drift records from one source, once every one of `matches` has a record in ClickHouse (they may come in different seconds). */
  const driftFrom = (source: string, ...matches: ((r: DriftRow) => boolean)[]) =>
    eventually(`drift from ${source}`, async () => {
      const found = await rows<DriftRow>('SELECT subject, kind, path, source, toUInt64(count) AS count FROM schema_drift WHERE source = {s:String}', { s: source })
      return matches.every((m) => found.some(m)) ? found : undefined
    }, 60_000)
  type DriftRow = { subject: string; kind: string; path: string; source: string; count: string }

  /** What every library's calls must have produced: three events with the right account, the drift refused and reported. */
  async function expectDelivered(lib: Library) {
    const account = accountOf(lib)
    const events = await storedEvents(account, 3)
    expect(events.map((e) => e.event)).toEqual(['account_updated', 'feature_used', 'user_identified'])
    for (const e of events) expect(e.source).toBe(`/pulse/gateway/keys/${lib}`)
    const byEvent = Object.fromEntries(events.map((e) => [e.event, e]))
    expect(JSON.parse(byEvent.feature_used.properties)).toMatchObject({ feature: 'reports.export', durationMs: 1200 })
    expect(byEvent.user_identified.user_id).toBe(`u_${lib}`)
    expect(JSON.parse(byEvent.user_identified.properties)).toMatchObject({ email: `u_${lib}@example.com`, name: 'Ada Lovelace', otherTraits: { plan: 'pro' } })
    expect(JSON.parse(byEvent.account_updated.properties)).toMatchObject({ name: expect.stringContaining('Acme'), industry: 'fintech' })
    // The drifting track was refused (only one feature_used stored) and reported with the library's key as source;
    // the trait account_updated has no field for was reported, not silently dropped.
    const drift = await driftFrom(lib, (r) => r.subject === 'account_updated', (r) => r.subject === 'feature_used')
    expect(drift).toEqual(expect.arrayContaining([
      expect.objectContaining({ subject: 'feature_used', kind: 'type_mismatch', path: 'properties.feature', source: lib }),
      expect.objectContaining({ subject: 'account_updated', kind: 'unknown_field', path: 'traits.employees', source: lib }),
    ]))
  }

  it('@segment/analytics-node 3.1: host and path alone; events land with their account, drift is reported, no delivery error', async () => {
    const analytics = new Analytics({ writeKey: KEYS['segment-node'], host: platform.endpoints.gateway, path: '/v1/batch', flushAt: 10, maxRetries: 1 })
    const errors: unknown[] = []
    const responses: number[] = []
    analytics.on('error', (e) => errors.push(e))
    analytics.on('http_response', (r) => responses.push(r.status))
    const lib = 'segment-node'
    const context = { groupId: accountOf(lib) }
    const done = (err?: unknown) => err && errors.push(err)
    analytics.track({ userId: `u_${lib}`, event: 'feature_used', properties: { feature: 'reports.export', durationMs: 1200 }, context }, done)
    analytics.identify({ userId: `u_${lib}`, traits: { email: `u_${lib}@example.com`, name: 'Ada Lovelace', plan: 'pro' }, context }, done)
    analytics.group({ userId: `u_${lib}`, groupId: accountOf(lib), traits: { name: 'Acme node', industry: 'fintech', employees: 120 } }, done)
    analytics.track({ userId: `u_${lib}`, event: 'feature_used', properties: { feature: 42 }, context }, done)
    await analytics.closeAndFlush()
    expect(errors).toEqual([])
    expect(responses.length).toBeGreaterThan(0)
    expect(responses.every((s) => s === 200)).toBe(true)
    await expectDelivered(lib)
    // The identify call's traits are the account 360's users.
    const res = await fetch(platform.endpoints.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.contract}` },
      body: JSON.stringify({ query: 'query($id: ID!) { account(id: $id) { users { userId email name traits } } }', variables: { id: accountOf(lib) } }),
    })
    expect(await res.json()).toEqual({ data: { account: { users: [{ userId: `u_${lib}`, email: `u_${lib}@example.com`, name: 'Ada Lovelace', traits: { plan: 'pro' } }] } } })
  })

  it('@rudderstack/rudder-sdk-node: gzip-encoded batches (labelled form-urlencoded) with the write key as Basic user name', async () => {
    const lib = 'rudder-node'
    const client = new RudderAnalytics(KEYS[lib], { dataPlaneUrl: platform.endpoints.gateway, flushAt: 10, flushInterval: 200, retryCount: 0 })
    const errors: unknown[] = []
    const done = (err?: unknown) => err && errors.push(err)
    const context = { groupId: accountOf(lib) }
    client.track({ userId: `u_${lib}`, event: 'feature_used', properties: { feature: 'reports.export', durationMs: 1200 }, context }, done)
    client.identify({ userId: `u_${lib}`, traits: { email: `u_${lib}@example.com`, name: 'Ada Lovelace', plan: 'pro' }, context }, done)
    client.group({ userId: `u_${lib}`, groupId: accountOf(lib), traits: { name: 'Acme rudder', industry: 'fintech', employees: 120 } }, done)
    client.track({ userId: `u_${lib}`, event: 'feature_used', properties: { feature: 42 }, context }, done)
    await new Promise<void>((resolve) => client.flush((err?: unknown) => (done(err), resolve())))
    expect(errors).toEqual([])
    await expectDelivered(lib)
  })

  for (const library of ['segment', 'rudder'] as const) {
    const lib = `${library}-python` as const
    it(`${library === 'segment' ? 'segment-analytics-python 2.4' : 'rudder-sdk-python 2.1'}: host alone; events land with their account, drift is reported, on_error never called`, async () => {
      const { python } = pythonTools()
      const { code, out, err } = await run(python, [pythonSupportFile('segment_sdks.py'), library, platform.endpoints.gateway, KEYS[lib], accountOf(lib), `u_${lib}`])
      expect(code, err).toBe(0)
      expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ errors: [] })
      await expectDelivered(lib)
    })
  }

  describe('contract', () => {
    const now = () => new Date().toISOString()
    const message = (extra: Record<string, unknown> = {}) => ({
      type: 'track', userId: 'u_c', event: 'feature_used', messageId: crypto.randomUUID(), timestamp: now(),
      properties: { feature: 'contract.check' }, context: { groupId: accountOf('contract') }, ...extra,
    })

    it('takes the key as Bearer, as Basic name:secret, as a write key (Basic user, empty password) or in the body; refuses others with 401', async () => {
      for (const authorization of [`Bearer ${KEYS.contract}`, `Basic ${Buffer.from(`contract:${KEYS.contract}`).toString('base64')}`, writeKey(KEYS.contract)]) {
        const res = await post('/v1/batch', { batch: [message()], sentAt: now() }, authorization)
        expect(res.status, authorization).toBe(200)
        expect(await res.json()).toMatchObject({ accepted: 1, rejected: 0 })
      }
      expect((await post('/v1/batch', { batch: [message()], writeKey: KEYS.contract }, null)).status).toBe(200)
      for (const authorization of [writeKey('not-a-key'), `Basic ${Buffer.from(`segment-node:${KEYS.contract}`).toString('base64')}`, null]) {
        const res = await post('/v1/batch', { batch: [message()] }, authorization)
        expect(res.status, String(authorization)).toBe(401)
      }
    })

    it("answers Segment's single calls 200 with the outcome, and keeps Pulse's own envelope unchanged on /v1/track and /v1/batch", async () => {
      const identify = await post('/v1/identify', { userId: 'u_c', traits: { email: 'c@example.com' }, context: { groupId: accountOf('contract') } }, writeKey(KEYS.contract))
      expect(identify.status).toBe(200)
      expect(await identify.json()).toMatchObject({ accepted: 1, results: [{ status: 'accepted' }] })
      const track = await post('/v1/track', { userId: 'u_c', event: 'feature_used', properties: { feature: 'x' }, context: { groupId: accountOf('contract') } }, writeKey(KEYS.contract))
      expect(track.status).toBe(200)
      const pulse = { event: 'feature_used', messageId: crypto.randomUUID(), accountId: accountOf('contract'), timestamp: now(), properties: { feature: 'pulse.native' } }
      expect((await post('/v1/track', pulse)).status).toBe(202)
      // One batch may mix both shapes; each message is read by its own shape.
      const mixed = await post('/v1/batch', { batch: [{ ...pulse, messageId: crypto.randomUUID() }, message()], sentAt: now() })
      expect(await mixed.json()).toMatchObject({ accepted: 2, rejected: 0 })
      // An unknown field is still refused in Pulse's envelope.
      expect(await (await post('/v1/batch', { batch: [{ ...pulse, colour: 'red' }] })).json()).toMatchObject({ rejected: 1, results: [{ error: 'invalid_envelope' }] })
    })

    it('refuses a message without groupId (or account property) per message, 200 for the batch, reported as drift', async () => {
      const res = await post('/v1/batch', { batch: [message({ context: {} }), message({ context: {}, properties: { feature: 'x', accountId: accountOf('contract') } })], sentAt: now() }, writeKey(KEYS.contract))
      expect(res.status).toBe(200)
      const body = await res.json()
      expect(body).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'rejected', error: 'unmapped_account' }, { status: 'accepted' }] })
      expect(body.results[0].message).toContain('context.groupId')
      await driftFrom('contract', (r) => r.kind === 'unmapped_account' && r.subject === 'feature_used' && r.path === 'context.groupId')
    })

    it("corrects the producer's clock with sentAt, the way Segment does", async () => {
      // The producer's clock is two hours fast: it stamped the event 5 s before sending it.
      const fast = Date.now() + 2 * 3_600_000
      const messageId = crypto.randomUUID()
      const res = await post('/v1/batch', { batch: [message({ messageId, timestamp: undefined, originalTimestamp: new Date(fast - 5000).toISOString() })], sentAt: new Date(fast).toISOString() })
      expect(await res.json()).toMatchObject({ accepted: 1 })
      const row = await eventually('the corrected event', async () => (await rows<{ t: string }>('SELECT toUnixTimestamp64Milli(timestamp) AS t FROM events WHERE message_id = {m:String}', { m: messageId }))[0])
      expect(Math.abs(Number(row.t) - (Date.now() - 5000))).toBeLessThan(15_000)
    })

    it('refuses a message over 32 KB: 400 on a single call (as Segment does), per message in a batch', async () => {
      const big = message({ properties: { feature: 'x'.repeat(33 * 1024) } })
      const single = await post('/v1/track', big, writeKey(KEYS.contract))
      expect(single.status).toBe(400)
      expect(await single.json()).toMatchObject({ error: 'message_too_large' })
      const batch = await post('/v1/batch', { batch: [big, message()] }, writeKey(KEYS.contract))
      expect(batch.status).toBe(200)
      expect(await batch.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ error: 'message_too_large' }, { status: 'accepted' }] })
    })

    it('refuses an unknown type and page, screen and alias calls per message, counted by source in the metrics', async () => {
      const res = await post('/v1/batch', { batch: [message({ type: 'teleport' }), message({ type: 'page', name: 'Home' }), message({ type: 'alias', previousId: 'x' })] }, writeKey(KEYS.contract))
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ rejected: 3, results: [{ error: 'invalid_envelope' }, { error: 'unsupported_type' }, { error: 'unsupported_type' }] })
      expect((await post('/v1/screen', { userId: 'u', name: 'Settings', context: { groupId: 'a' } }, writeKey(KEYS.contract))).status).toBe(200)
      const metrics = await (await fetch(`${platform.endpoints.gateway}/metrics`)).text()
      expect(metrics).toContain('pulse_segment_messages_total{source="contract",type="page",outcome="rejected",reason="unsupported_type"} 1')
      expect(metrics).toContain('pulse_segment_messages_total{source="contract",type="(unknown)",outcome="rejected",reason="invalid_envelope"} 1')
      expect(metrics).toMatch(/pulse_segment_messages_total\{source="segment-node",type="track",outcome="accepted",reason=""\} \d/)
    })

    it('refuses a wholly malformed request with 400 (not retried by the libraries): not a batch, a bad sentAt, a corrupt gzip body', async () => {
      expect(await (await post('/v1/batch', { batch: 'x' })).json()).toMatchObject({ error: 'invalid_batch' })
      expect(await (await post('/v1/batch', { batch: [message()], sentAt: 'yesterday' })).json()).toMatchObject({ error: 'invalid_batch' })
      expect((await post('/v1/batch', Buffer.from('not gzip'), `Bearer ${KEYS.contract}`, { 'content-encoding': 'gzip' })).status).toBe(400)
      expect((await post('/v1/batch', zlib.gzipSync(JSON.stringify({ batch: [message()] })), `Bearer ${KEYS.contract}`, { 'content-encoding': 'gzip' })).status).toBe(200)
      expect((await post('/v1/batch', Buffer.from('{}'), `Bearer ${KEYS.contract}`, { 'content-encoding': 'br' })).status).toBe(415)
    })
  })
})
