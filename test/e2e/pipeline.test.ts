import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient as createWsClient } from 'graphql-ws'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import WebSocket from 'ws'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { loadConfig } from '../../platform/config.js'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { startPlatform, type Platform } from '../../platform/index.js'
import { EpisodeStore, verifySignature } from '../../processors/playbooks/index.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { launchChromium } from '../support/browser.js'

const API_KEY = 'e2e-secret-key'
const HOOK_SECRET = 'whsec_e2e'

/** A receiver that keeps every request body (and signature) and answers 204. */
function collect(into: { body: string; signature?: string }[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      into.push({ body, signature: req.headers['pulse-signature'] as string | undefined })
      res.writeHead(204).end()
    })
  }
}
const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** Runs the CLI without blocking this process, which serves what the CLI talks to. */
function runPulse(args: string[], env: NodeJS.ProcessEnv = { ...process.env, PULSE_API_KEY: API_KEY }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PULSE_BIN, ...args], { cwd: REPO, env })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('one tracked event, end to end on real Kafka, Redis and ClickHouse', () => {
  const dataDir = tempDir()
  const topic = uniqueName('pulse.events.e2e')
  const redisPrefix = uniqueName('e2e')
  let platform: Platform
  const clickhouse = createClickHouse({ dataDir })
  /** Every JSON log line the platform writes, kept to check what requests log. */
  const logLines: Record<string, any>[] = []
  const logSink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line))
      done()
    },
  })

  // Drift alerts go to two receivers: a signed webhook and a Slack incoming webhook (both real HTTP servers).
  const hooks: { body: string; signature: string | undefined }[] = []
  const slack: { body: string }[] = []
  const receivers = [http.createServer(collect(hooks)), http.createServer(collect(slack))]

  beforeAll(async () => {
    const [hooksUrl, slackUrl] = await Promise.all(receivers.map((r) => new Promise<string>((resolve) => r.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(r.address() as AddressInfo).port}/`)))))
    const rulesFile = path.join(dataDir, 'pulse.rules.yaml')
    fs.mkdirSync(dataDir, { recursive: true })
    fs.writeFileSync(rulesFile, [
      'preset: default',
      'endpoints:',
      `  engineering: { type: webhook, url: "${hooksUrl}", secretEnv: E2E_HOOK_SECRET }`,
      '  schema-channel: { type: slack, urlEnv: E2E_SLACK_URL }',
      'driftRules:',
      '  - id: drift-new-kind',
      '    name: A new kind of schema drift',
      '    when: { newKind: {} }',
      '    rearm: { after: 30d }',
      '    alert: { severity: warning, to: schema_owners, channels: [engineering, schema-channel] }',
      '',
    ].join('\n'))
    const config = loadConfig({
      PULSE_RULES_CONFIG: rulesFile,
      E2E_HOOK_SECRET: HOOK_SECRET,
      E2E_SLACK_URL: slackUrl,
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `e2e:${API_KEY}:track+read+write+admin`,
      PULSE_EVENTS_TOPIC: topic,
      PULSE_CONSUMER_GROUP: uniqueName('processor'),
      PULSE_REDIS_PREFIX: redisPrefix,
      // A wide window: the burst below must be refused however slowly a busy machine sends it.
      PULSE_RATE_LIMIT: '120/10s',
      PULSE_LENIENT_SUBJECTS: 'email_engaged',
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      PULSE_SCORING_DEBOUNCE_MS: '50',
      PULSE_LOG_LEVEL: 'info',
    })
    platform = await startPlatform(config, pino({ level: config.logLevel, base: { service: 'pulse' } }, logSink))
  })
  afterAll(async () => {
    await platform?.stop()
    await clickhouse.close()
    for (const r of receivers) r.closeAllConnections()
    await Promise.all(receivers.map((r) => new Promise((resolve) => r.close(resolve))))
  })

  const track = (body: unknown, key = API_KEY, contentType = 'application/json') =>
    fetch(`${platform.endpoints.gateway}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  /** The registry with the test's key (it has admin). */
  const registryFetch = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${API_KEY}` } })
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(platform.endpoints.graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ query, variables }) })
    return (await res.json()) as { data?: any; errors?: unknown[] }
  }

  it('gives every request an id: echoed in X-Request-Id and on its JSON log line', async () => {
    const event = { event: 'user_login', messageId: crypto.randomUUID(), accountId: 'acct_log', timestamp: new Date().toISOString(), properties: { method: 'SSO' } }
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }
    const given = await fetch(`${platform.endpoints.gateway}/v1/track`, { method: 'POST', headers: { ...headers, 'x-request-id': 'checkout-7f3a' }, body: JSON.stringify(event) })
    expect(given.status).toBe(202)
    expect(given.headers.get('x-request-id')).toBe('checkout-7f3a')
    // A value that is no sane token is replaced, not logged as sent.
    const odd = await fetch(`${platform.endpoints.gateway}/v1/track`, { method: 'POST', headers: { ...headers, 'x-request-id': 'x'.repeat(300) }, body: '{' })
    expect(odd.status).toBe(400)
    const oddId = odd.headers.get('x-request-id')!
    expect(oddId).toMatch(/^[0-9a-f-]{36}$/)
    const line = await eventually('the request log line', async () => logLines.find((l) => l.reqId === 'checkout-7f3a' && l.msg === 'request completed'))
    expect(line).toMatchObject({ service: 'pulse', component: 'gateway', method: 'POST', url: '/v1/track', status: 202 })
    expect(typeof line.ms).toBe('number')
    const oddLine = await eventually('the 400 log line', async () => logLines.find((l) => l.reqId === oddId))
    expect(oddLine).toMatchObject({ status: 400 })
    // Probes are logged at debug only, so they do not drown the rest at info.
    const probe = await fetch(`${platform.endpoints.gateway}/healthz`, { headers: { 'x-request-id': 'probe-1' } })
    expect(probe.headers.get('x-request-id')).toBe('probe-1')
    // The other servers share the convention.
    const registry = await registryFetch(`${platform.endpoints.registry}/subjects`, { headers: { 'x-request-id': 'reg-1' } })
    expect(registry.headers.get('x-request-id')).toBe('reg-1')
    expect(await eventually('the registry log line', async () => logLines.find((l) => l.reqId === 'reg-1'))).toMatchObject({ component: 'registry', status: 200 })
    expect(logLines.some((l) => l.reqId === 'probe-1')).toBe(false)
  })

  it('closes every surface but /metrics, /healthz and /readyz to a request without a key', async () => {
    const refused = await Promise.all([
      fetch(platform.endpoints.graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ schemas { subject } }' }) }),
      fetch(`${platform.endpoints.registry}/subjects`),
      fetch(`${platform.endpoints.registry}/subjects/feature_used/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: '"string"' }) }),
      fetch(`${platform.endpoints.gateway}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      fetch(`${platform.endpoints.gateway}/openapi.json`),
    ])
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401])
    const open = await Promise.all(['/healthz', '/readyz', '/metrics'].map((p) => fetch(`${platform.endpoints.gateway}${p}`)))
    expect(open.map((r) => r.status)).toEqual([200, 200, 200])
  })

  it('registered the catalog at start', async () => {
    const subjects = await (await registryFetch(`${platform.endpoints.registry}/subjects`)).json()
    expect(subjects).toEqual(expect.arrayContaining(['feature_used', 'user_login']))
    // The same contracts, read-only, through GraphQL.
    const r = await graphql('{ schemas { subject versions compatibility latest { version id schema } } one: schemas(subject: "feature_used") { version(version: 1) { id } missing: version(version: 99) { id } } }', {})
    expect(r.errors).toBeUndefined()
    expect(r.data.schemas.map((x: any) => x.subject)).toEqual([...subjects].sort())
    const feature = r.data.schemas.find((x: any) => x.subject === 'feature_used')
    const { compatibilityLevel } = await (await registryFetch(`${platform.endpoints.registry}/config/feature_used?defaultToGlobal=true`)).json()
    expect(feature).toMatchObject({ versions: [1], compatibility: compatibilityLevel, latest: { version: 1 } })
    expect(JSON.parse(feature.latest.schema)).toMatchObject({ type: 'record', name: 'FeatureUsed' })
    expect(r.data.one).toEqual([{ version: { id: feature.latest.id }, missing: null }])
  })

  let scoredAccount = ''
  it('tracks → Kafka → ClickHouse → score with components, drivers and trend → GraphQL query and subscription', async () => {
    const accountId = uniqueName('acct')
    scoredAccount = accountId
    const ws = createWsClient({ url: platform.endpoints.graphqlWs, webSocketImpl: WebSocket, lazy: false, connectionParams: { authorization: `Bearer ${API_KEY}` } })
    const received: any[] = []
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.on('connected', () => resolve())
      ws.on('error', reject)
    })
    const unsubscribe = ws.subscribe(
      {
        query: `subscription($id: ID) { healthScoreChanged(accountId: $id) {
          accountId score tier previousTier tierChanged status coverage scorecardVersion computedAt components { name value points maxPoints weight } } }`,
        variables: { id: accountId },
      },
      { next: (m) => received.push(m), error: (e) => received.push({ error: e }), complete: () => {} },
    )
    await subscribed
    // The subscription is registered on the server once the socket acknowledged it; give it a moment to land in Redis.
    await new Promise((r) => setTimeout(r, 300))

    const messageId = crypto.randomUUID()
    const now = Date.now()
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString()
    const res = await track({ event: 'feature_used', messageId, accountId, userId: 'u_1', timestamp: at(1), properties: { feature: 'reports.export', durationMs: 1500 } })
    expect(res.status).toBe(202)
    const accepted = await res.json()
    expect(accepted).toEqual({ messageId, schemaId: platform.registeredSchemas.find((s) => s.subject === 'feature_used')!.id, schemaVersion: 1 })
    // An account with seats, a subscription, a segment and a few active users over the last days.
    const today = Math.floor(now / 86_400_000)
    const more = [
      { event: 'account_updated', properties: { name: 'E2E Corp', segment: 'SMB', industry: null, csmId: 'csm_7', signupDate: today - 60, country: 'DE' } },
      { event: 'subscription_updated', properties: { plan: 'pro', mrrCents: 50_000, currency: 'EUR', termMonths: 12, renewalDate: today + 200, autoRenew: true, status: 'ACTIVE', previousMrrCents: null } },
      { event: 'seats_updated', properties: { seatsPurchased: 10, seatsActive: 4, previousSeatsPurchased: null, previousSeatsActive: null } },
      { event: 'invoice_paid', properties: { invoiceId: 'in_e2e', amountCents: 50_000, currency: 'EUR', dueDate: null, daysLate: 0 } },
      { event: 'support_ticket_opened', properties: { ticketId: 'T-1', severity: 'P2', channel: 'EMAIL', category: null } },
      ...[0, 1, 2].flatMap((d) => ['u_1', 'u_2', 'u_3'].map((u) => ({ event: 'user_login', userId: u, minutesAgo: d * 1440 + 5, properties: { method: 'SSO', mfa: false } }))),
    ]
    for (const e of more) {
      const r = await track({ messageId: crypto.randomUUID(), accountId, timestamp: at((e as any).minutesAgo ?? 2), ...e, minutesAgo: undefined })
      expect(r.status, JSON.stringify(e)).toBe(202)
    }

    const row = await eventually('the event row in ClickHouse', async () => {
      const rs = await clickhouse.query({ query: 'SELECT * FROM events WHERE message_id = {id:String}', query_params: { id: messageId }, format: 'JSONEachRow' })
      return (await rs.json<any>())[0]
    })
    expect(row).toMatchObject({ event: 'feature_used', account_id: accountId, user_id: 'u_1', schema_id: accepted.schemaId, source: '/pulse/gateway/keys/e2e' })
    expect(JSON.parse(row.properties)).toEqual({ feature: 'reports.export', durationMs: 1500 })
    const typedRs = await clickhouse.query({ query: 'SELECT _account_id, feature, durationMs FROM events_feature_used WHERE _message_id = {id:String}', query_params: { id: messageId }, format: 'JSONEachRow' })
    expect(await typedRs.json()).toEqual([{ _account_id: accountId, feature: 'reports.export', durationMs: 1500 }])

    const query = `query($id: ID!) { account(id: $id) { id
      profile { name segment csmId plan mrrCents seatsPurchased seatsActive renewalDate openTicketsBySeverity { severity count } }
      healthScore { score tier status coverage missing scorecardVersion computedAt asOf
        components { name measure value points maxPoints weight } drivers { component text lost } trend { change7d change30d direction }
        nextTier { tier pointsNeeded actions { component text } } } } }`
    const account = await eventually('a score of every event through GraphQL', async () => {
      const r = await graphql(query, { id: accountId })
      const a = r.data?.account
      const seats = a?.healthScore?.components.find((c: any) => c.measure === 'seat_utilization')
      return seats?.value !== null && seats?.value !== undefined && a.healthScore.components.find((c: any) => c.measure === 'active_days_30d')?.value === 3 ? a : undefined
    })
    expect(account.profile).toEqual({
      name: 'E2E Corp', segment: 'SMB', csmId: 'csm_7', plan: 'pro', mrrCents: 50_000, seatsPurchased: 10, seatsActive: 4,
      renewalDate: new Date((today + 200) * 86_400_000).toISOString().slice(0, 10), openTicketsBySeverity: [{ severity: 'P2', count: 1 }],
    })
    const score = account.healthScore
    expect(score.status).toBe('OK')
    expect(score.scorecardVersion).toMatch(/^[0-9a-f]{12}$/)
    expect(['Healthy', 'Stable', 'At-risk', 'Critical']).toContain(score.tier)
    const byMeasure = Object.fromEntries(score.components.map((c: any) => [c.measure, c]))
    expect(byMeasure.adoption_rate.value).toBeCloseTo(0.3) // 3 active users of 10 seats
    expect(byMeasure.seat_utilization.value).toBeCloseTo(0.4)
    expect(byMeasure.payment_status.value).toBe('CURRENT')
    expect(byMeasure.nps_90d.value).toBeNull() // no survey answered: left out, not zero
    expect(score.missing).toContain('relationship.nps')
    const sum = score.components.reduce((s: number, c: any) => s + (c.points ?? 0), 0)
    expect(Math.abs(sum - score.score)).toBeLessThan(1) // smoothing starts from the first raw score
    expect(score.drivers.length).toBeGreaterThan(0)
    expect(score.drivers[0].lost).toBeGreaterThan(0)
    expect(score.trend).toEqual({ change7d: null, change30d: null, direction: 'STABLE' })
    // The history holds the score served. It is read after the score, not beside it in the same request: the two
    // reads run concurrently and may straddle the account's first scoring pass (history empty, latest present).
    const history = await graphql('query($id: ID!, $from: DateTimeISO, $to: DateTimeISO) { account(id: $id) { healthHistory(resolution: ALL, from: $from, to: $to) { asOf score tier } } }', {
      id: accountId, from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString(),
    })
    expect(history.data.account.healthHistory.find((h: any) => h.asOf === score.asOf)).toEqual({ asOf: score.asOf, score: score.score, tier: score.tier })

    // The stored score may come from a later pass that changed nothing (a sweep asked for by a new kind of
    // event), which is not pushed: the last push must carry the same score, tier and components.
    const components = JSON.stringify(score.components.map(({ name, value, points, maxPoints, weight }: any) => ({ name, value, points, maxPoints, weight })))
    const pushed = await eventually('the final score pushed to the subscriber', async () =>
      [...received].reverse().find((m: any) => {
        const c = m.data?.healthScoreChanged
        return c && c.score === score.score && c.tier === score.tier && JSON.stringify(c.components) === components
      }),
    )
    const change = pushed.data.healthScoreChanged
    expect(change).toMatchObject({ accountId, score: score.score, tier: score.tier, status: 'OK', scorecardVersion: score.scorecardVersion })
    expect(change.components).toEqual(score.components.map(({ name, value, points, maxPoints, weight }: any) => ({ name, value, points, maxPoints, weight })))
    // The first score with a tier is pushed as a change from none (earlier ones, from the first events alone, were INSUFFICIENT_DATA).
    const firstTiered = received.map((m) => m.data.healthScoreChanged).find((c) => c.status === 'OK')
    expect(firstTiered).toMatchObject({ previousTier: null, tierChanged: true })
    expect(received.map((m) => m.data.healthScoreChanged).filter((c) => c.status !== 'OK').every((c) => c.score === null && c.tier === null)).toBe(true)
    unsubscribe()
    await ws.dispose()

    // The rules saw the final score. Event passes are evaluated merged, at most every PULSE_PLAYBOOKS_EVERY (3 s
    // here, the default), each account with its latest score; a pass held when no other came after it is
    // evaluated by the timer.
    const redis = new Redis(inject('redisUrl'))
    try {
      const episodes = new EpisodeStore(redis, redisPrefix)
      const seen = await eventually('the rules evaluated with the final score', async () => {
        const state = await episodes.lastState(accountId)
        return state?.score === score.score ? state : undefined
      })
      expect(seen).toMatchObject({ accountId, tier: score.tier, csmId: 'csm_7' })
    } finally {
      redis.disconnect()
    }
  })

  it('`pulse score --dry-run` shows what a candidate scorecard would move, writing nothing', async () => {
    expect(scoredAccount).not.toBe('')
    const dir = tempDir()
    const candidate = path.join(dir, 'candidate.scoring.yaml')
    fs.writeFileSync(candidate, 'preset: points-5\ntiers:\n  - { name: Good, min: 50, max: 100 }\n  - { name: Bad, min: 0, max: 49 }\n')
    // Scoring may still be running for the account: what shows the dry run wrote nothing is that no stored
    // score carries the candidate's version (the integration test counts every row on a quiet engine).
    const rowsOf = async (version: string) => Number((await (await clickhouse.query({ query: 'SELECT count() AS n FROM health_scores WHERE scorecard_version = {v:String}', query_params: { v: version }, format: 'JSONEachRow' })).json<{ n: string }>())[0].n)
    const args = ['score', '--dry-run', '--config', candidate, '--account', scoredAccount, '--graphql', platform.endpoints.graphql]
    const json = await runPulse([...args, '--format', 'json'])
    expect(json.code, json.out).toBe(0)
    const run = JSON.parse(json.out)
    expect(run).toMatchObject({ accountsScored: 1, tierChanges: 1, candidateTiers: ['Good', 'Bad'], currentTiers: ['Healthy', 'Stable', 'At-risk', 'Critical'] })
    const [moved] = run.accounts
    expect(moved.accountId).toBe(scoredAccount)
    expect(run.matrix).toEqual([{ from: moved.current.tier, to: moved.candidate.tier, accounts: 1 }])
    expect(moved.candidate.tier).toBe(moved.candidate.score >= 50 ? 'Good' : 'Bad')

    const text = await runPulse(args)
    expect(text.code, text.out).toBe(0)
    expect(text.out).toContain('1 account scored: 1 would change tier')
    expect(text.out).toMatch(new RegExp(`${moved.current.tier}\\s+${moved.candidate.tier === 'Good' ? '1\\s+\\.' : '\\.\\s+1'}`))
    expect(text.out).toContain(`${scoredAccount}  ${moved.current.score} ${moved.current.tier}`)
    expect(await rowsOf(run.candidate.version)).toBe(0)
    expect(await rowsOf(run.current.version)).toBeGreaterThan(0)

    fs.writeFileSync(candidate, 'preset: points-5\ntiers:\n  - { name: Good, min: 50, max: 100 }\n  - { name: Bad, min: 0, max: 40 }\n')
    const broken = await runPulse(args)
    expect(broken.code).toBe(1)
    expect(broken.out).toContain(`${path.relative(REPO, candidate)}:`)
    expect(broken.out).toMatch(/41.*49|gap/i)
    const unknown = await runPulse(['score', '--dry-run', '--config', 'pillars-3', '--account', 'acct_never_seen', '--graphql', platform.endpoints.graphql])
    expect(unknown.code).toBe(1)
    expect(unknown.out).toContain('no account "acct_never_seen" has sent events')
  })

  it('rejects drift with 422 and every violation, and writes nothing to Kafka', async () => {
    const messageId = crypto.randomUUID()
    const res = await track({ event: 'feature_used', messageId, accountId: 'acct_drift', timestamp: new Date().toISOString(), properties: { durationMs: 'long', colour: 'red' } })
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body.error).toBe('schema_violation')
    expect(body.violations.map((v: any) => [v.path, v.kind])).toEqual([
      ['properties.feature', 'missing_field'],
      ['properties.durationMs', 'type_mismatch'],
      ['properties.colour', 'unknown_field'],
    ])
    expect(body.violations[1]).toMatchObject({ expected: 'null | long', actual: 'string "long"' })

    const unknown = await track({ event: 'teleported', messageId: crypto.randomUUID(), accountId: 'acct_drift', timestamp: new Date().toISOString() })
    expect(unknown.status).toBe(422)
    expect((await unknown.json()).violations).toEqual([expect.objectContaining({ path: 'event', kind: 'unknown_event', actual: '"teleported"' })])

    // Read the whole topic: the drifting event's id is nowhere in it.
    const kafka = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic)
    await admin.disconnect()
    const total = offsets.reduce((n, o) => n + Number(o.high), 0)
    const seen: string[] = []
    const consumer = kafka.consumer({ groupId: uniqueName('reader') })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.headers!.ce_id!.toString()) })
    await eventually('the whole topic read', async () => (seen.length >= total ? true : undefined))
    await consumer.disconnect()
    expect(seen).not.toContain(messageId)
    expect(seen.length).toBe(total)
  })

  it('takes a batch: valid events accepted even when others fail, results in order', async () => {
    const accountId = uniqueName('acct-batch')
    const now = new Date().toISOString()
    const ev = (properties: unknown, extra: Record<string, unknown> = {}) => ({ event: 'feature_used', messageId: crypto.randomUUID(), accountId, timestamp: now, properties, ...extra })
    const batch: any[] = [ev({ feature: 'a' }), ev({ feature: 1 }), { nonsense: true }, ev({ feature: 'b' }, { timestamp: '2001-01-01T00:00:00Z' }), ev({ feature: 'c' })]
    const res = await fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ batch }),
    })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect({ accepted: body.accepted, rejected: body.rejected, failed: body.failed }).toEqual({ accepted: 2, rejected: 3, failed: 0 })
    expect(body.results.map((r: any) => r.error ?? r.status)).toEqual(['accepted', 'schema_violation', 'invalid_envelope', 'timestamp_out_of_range', 'accepted'])
    expect(body.results[1]).toMatchObject({ messageId: batch[1].messageId, schemaVersion: 1, violations: [expect.objectContaining({ path: 'properties.feature' })] })

    const stored = await eventually('both accepted batch events in ClickHouse', async () => {
      const rs = await clickhouse.query({ query: 'SELECT message_id FROM events WHERE account_id = {a:String} ORDER BY message_id', query_params: { a: accountId }, format: 'JSONEachRow' })
      const rows = await rs.json<{ message_id: string }>()
      return rows.length >= 2 ? rows.map((r) => r.message_id) : undefined
    })
    expect(stored).toEqual([batch[0].messageId, batch[4].messageId].sort())

    for (const [payload, status, error] of [[{ batch: [] }, 400, 'invalid_batch'], [{ events: [] }, 400, 'invalid_batch'], [{ batch: Array(501).fill(batch[0]) }, 400, 'batch_too_large']] as const) {
      const r = await fetch(`${platform.endpoints.gateway}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify(payload) })
      expect(r.status).toBe(status)
      expect((await r.json()).error).toBe(error)
    }
  })

  it('validates against the pinned schemaVersion, and names the version in violations', async () => {
    const v1 = JSON.parse((await (await registryFetch(`${platform.endpoints.registry}/subjects/feature_used/versions/1`)).json()).schema)
    const v2 = { ...v1, fields: [...v1.fields, { name: 'plan', type: ['null', 'string'], default: null, doc: 'Plan.' }] }
    const reg = await registryFetch(`${platform.endpoints.registry}/subjects/feature_used/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: JSON.stringify(v2) }) })
    const { id: v2Id } = await reg.json()
    const base = { event: 'feature_used', accountId: 'acct_pin', timestamp: new Date().toISOString(), properties: { feature: 'x', plan: 'pro' } }

    const onV2 = await track({ ...base, messageId: crypto.randomUUID(), schemaVersion: 2 })
    expect(onV2.status).toBe(202)
    expect(await onV2.json()).toMatchObject({ schemaId: v2Id, schemaVersion: 2 })
    const onV1 = await track({ ...base, messageId: crypto.randomUUID(), schemaVersion: 1 })
    expect(onV1.status).toBe(422)
    expect(await onV1.json()).toMatchObject({ schemaVersion: 1, violations: [{ path: 'properties.plan', kind: 'unknown_field' }] })
    const missing = await track({ ...base, messageId: crypto.randomUUID(), schemaVersion: 99 })
    expect(await missing.json()).toMatchObject({ error: 'schema_violation', violations: [{ path: 'schemaVersion', kind: 'unknown_event', actual: '99' }] })
  })

  it('answers a corpus of bad input with specific 4xx errors, never a 5xx, and keeps serving', async () => {
    const now = new Date().toISOString()
    const good = { event: 'feature_used', messageId: 'corpus', accountId: 'acct_corpus', timestamp: now, properties: { feature: 'x' } }
    const raw = (body: string | Buffer, contentType = 'application/json', path = '/v1/track') =>
      fetch(`${platform.endpoints.gateway}${path}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${API_KEY}` }, body: typeof body === 'string' ? body : new Uint8Array(body) })
    const corpus: [string, () => Promise<Response>, number][] = [
      ['truncated JSON', () => raw('{"event": "feature_used", "messageId": "m'), 400],
      ['not JSON at all', () => raw('event=feature_used'), 400],
      ['a bare string', () => raw('"feature_used"'), 400],
      ['null', () => raw('null'), 400],
      ['an array', () => raw('[1, 2]'), 400],
      ['NaN', () => raw('{"event": NaN}'), 400],
      ['Infinity', () => raw('{"event": "feature_used", "properties": {"durationMs": Infinity}}'), 400],
      ['__proto__ key', () => raw(JSON.stringify(good).replace('"properties"', '"__proto__": {"admin": true}, "properties"')), 400],
      ['constructor.prototype key', () => raw(JSON.stringify({ ...good, properties: { constructor: { prototype: { admin: true } } } })), 400],
      ['deep nesting', () => raw(`{"event":"feature_used","properties":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`), 400],
      ['invalid UTF-8', () => raw(Buffer.concat([Buffer.from('{"event":"feature_used","messageId":"'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('"}')])), 400],
      ['text/plain', () => raw(JSON.stringify(good), 'text/plain'), 415],
      ['application/xml', () => raw('<event/>', 'application/xml'), 415],
      ['a 2 MB body', () => raw(JSON.stringify({ ...good, properties: { feature: 'x'.repeat(2 * 1024 * 1024) } })), 413],
      ['a 9 kB string', () => raw(JSON.stringify({ ...good, properties: { feature: 'x'.repeat(9000) } })), 400],
      ['an integer beyond 2^53', () => raw(JSON.stringify(good).replace('"feature":"x"', '"feature":"x","durationMs":9007199254740993')), 422],
      ['event as a number', () => raw(JSON.stringify({ ...good, event: 1 })), 400],
      ['messageId as an object', () => raw(JSON.stringify({ ...good, messageId: {} })), 400],
      ['accountId as null', () => raw(JSON.stringify({ ...good, accountId: null })), 400],
      ['userId as an array', () => raw(JSON.stringify({ ...good, userId: ['u'] })), 400],
      ['timestamp as epoch millis', () => raw(JSON.stringify({ ...good, timestamp: Date.now() })), 400],
      ['schemaVersion as a float', () => raw(JSON.stringify({ ...good, schemaVersion: 1.5 })), 400],
      ['properties as a string', () => raw(JSON.stringify({ ...good, properties: 'x' })), 400],
      ['an empty object', () => raw('{}'), 400],
      ['an empty body', () => raw(''), 400],
      ['an empty batch', () => raw('{"batch": []}', 'application/json', '/v1/batch'), 400],
      ['a batch of garbage', () => raw('{"batch": "nope"}', 'application/json', '/v1/batch'), 400],
    ]
    const outcomes: string[] = []
    for (const [name, send, expected] of corpus) {
      const res = await send()
      const body = await res.json().catch(() => ({}))
      outcomes.push(`${name}: ${res.status}${res.status === expected ? '' : ` (expected ${expected}) ${JSON.stringify(body).slice(0, 200)}`}`)
      expect(typeof body.error === 'string' || res.status === 200, name).toBe(true)
    }
    expect(outcomes).toEqual(corpus.map(([name, , expected]) => `${name}: ${expected}`))
    const after = await raw(JSON.stringify({ ...good, messageId: crypto.randomUUID() }))
    expect(after.status).toBe(202)
  })

  it('acknowledges a repeated messageId as a duplicate without sending it again', async () => {
    const accountId = uniqueName('acct-dup')
    const event = { event: 'feature_used', messageId: crypto.randomUUID(), accountId, timestamp: new Date().toISOString(), properties: { feature: 'x' } }
    const first = await track(event)
    expect(first.status).toBe(202)
    expect((await first.json()).duplicate).toBeUndefined()
    const again = await track(event)
    expect(again.status).toBe(202)
    expect(await again.json()).toMatchObject({ messageId: event.messageId, duplicate: true })
    const batch = await fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ batch: [event, { ...event, messageId: crypto.randomUUID() }] }),
    })
    expect((await batch.json()).results.map((r: any) => [r.status, r.duplicate ?? false])).toEqual([['accepted', true], ['accepted', false]])
    await eventually('the new batch event stored', async () => {
      const rs = await clickhouse.query({ query: 'SELECT count() AS n FROM events WHERE account_id = {a:String}', query_params: { a: accountId }, format: 'JSONEachRow' })
      const [{ n }] = await rs.json<{ n: string }>()
      return Number(n) >= 2 ? true : undefined
    })
    // Raw rows, no FINAL: the duplicate never reached Kafka, so it was never inserted.
    const rs = await clickhouse.query({ query: 'SELECT count() AS n FROM events WHERE message_id = {m:String}', query_params: { m: event.messageId }, format: 'JSONEachRow' })
    expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(1)
  })

  it('turns refusals into aggregated drift records in ClickHouse, reported through GraphQL and the CLI', async () => {
    // Engineers subscribe to new kinds of drift: each (event, kind, field, source) is pushed once, when first stored.
    const ws = createWsClient({ url: platform.endpoints.graphqlWs, webSocketImpl: WebSocket, lazy: false, connectionParams: { authorization: `Bearer ${API_KEY}` } })
    const detected: any[] = []
    await new Promise<void>((resolve, reject) => {
      ws.on('connected', () => resolve())
      ws.on('error', reject)
    })
    const unsubscribe = ws.subscribe(
      { query: 'subscription { driftDetected(subject: "support_ticket_opened") { subject kind path source events } }' },
      { next: (m) => detected.push(m.data?.driftDetected), error: (e) => detected.push({ error: e }), complete: () => {} },
    )
    await new Promise((r) => setTimeout(r, 300))
    const flood = Array.from({ length: 200 }, () => ({
      event: 'support_ticket_opened',
      messageId: crypto.randomUUID(),
      accountId: 'acct_flood',
      timestamp: new Date().toISOString(),
      properties: { ticketId: 'T-1', severity: 'P0', channel: 'EMAIL', secret: 'do-not-store' },
    }))
    const res = await fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ batch: flood }),
    })
    expect((await res.json()).rejected).toBe(200)

    const report = await eventually('the flood in the drift report', async () => {
      const r = await graphql('query { driftReport(since: "1h", subject: "support_ticket_opened") { subject version kind path expected actual source events sample } }', {})
      const entries = r.data?.driftReport ?? []
      return entries.reduce((n: number, e: any) => n + e.events, 0) >= 400 ? entries : undefined
    })
    expect(report.map((e: any) => [e.path, e.kind, e.events])).toEqual([
      ['properties.secret', 'unknown_field', 200],
      ['properties.severity', 'type_mismatch', 200],
    ])
    expect(report[1]).toMatchObject({ subject: 'support_ticket_opened', version: 1, actual: 'string', source: 'e2e' })
    // Values are redacted; only shapes and types are kept.
    expect(JSON.parse(report[0].sample)).toEqual({ ticketId: 'string', severity: 'string', channel: 'string', secret: 'string' })
    // A flood costs a few rows, not one per event.
    const rs = await clickhouse.query({ query: "SELECT count() AS n FROM schema_drift WHERE subject = 'support_ticket_opened'", format: 'JSONEachRow' })
    expect(Number((await rs.json<{ n: string }>())[0].n)).toBeLessThanOrEqual(4)

    const cli = await runPulse(['drift', 'report', '--since', '1h', '--subject', 'support_ticket_opened', '--format', 'github', '--graphql', platform.endpoints.graphql, '--fail-on-drift'])
    expect(cli.code).toBe(1)
    expect(cli.out).toContain('::warning file=schemas/support_ticket_opened.avsc,line=1,title=Schema drift in support_ticket_opened::200 events from e2e: properties.severity: type_mismatch (expected enum dev.pulse.events.TicketSeverity {P1, P2, P3, P4, UNKNOWN}, got string)')
    const bad = await graphql('query { driftReport(since: "soon") { subject } }', {})
    expect(bad.errors?.[0]).toMatchObject({ message: 'since must be a duration such as 24h, 7d or 90m; got "soon"' })

    const secret = await eventually('the new kind of drift pushed', async () => detected.find((d) => d?.path === 'properties.secret'))
    expect(secret).toMatchObject({ subject: 'support_ticket_opened', kind: 'unknown_field', source: 'e2e' })
    const keys = detected.map((d) => `${d.kind} ${d.path} ${d.source}`)
    expect(keys.length).toBe(new Set(keys).size)
    unsubscribe()
    await ws.dispose()

    // The schema owners' drift rule alerts its channels once per new kind: a signed webhook and Slack.
    const alertOf = (kind: string) => (h: { body: string }) => {
      const b = JSON.parse(h.body)
      return b.data?.target?.subject === 'support_ticket_opened' && b.data.target.path === 'properties.secret' && b.data.target.kind === kind
    }
    await eventually('the drift alert delivered to both channels', async () => (hooks.some(alertOf('unknown_field')) && slack.some((m) => m.body.includes('properties.secret')) ? true : undefined), 30_000)
    const delivered = hooks.filter(alertOf('unknown_field'))
    expect(delivered.length).toBe(1)
    expect(verifySignature(delivered[0].signature, delivered[0].body, HOOK_SECRET, Date.now())).toMatchObject({ ok: true })
    expect(JSON.parse(delivered[0].body)).toMatchObject({ type: 'alert.fired', data: { ruleId: 'drift-new-kind', severity: 'warning', to: 'schema-owners', channels: ['engineering', 'schema-channel'] } })
    const message = JSON.parse(slack.find((m) => m.body.includes('properties.secret'))!.body)
    expect(message.text).toContain('A new kind of schema drift')
    expect(message.blocks.length).toBeGreaterThan(1)
    const log = await eventually('the deliveries logged', async () => {
      const rows = await clickhouse.query({ query: "SELECT endpoint, status FROM webhook_deliveries FINAL WHERE status = 'delivered' ORDER BY endpoint", format: 'JSONEachRow' })
      const all = await rows.json<{ endpoint: string; status: string }>()
      return new Set(all.map((r) => r.endpoint)).size === 2 ? all : undefined
    })
    expect(new Set(log.map((r) => r.endpoint))).toEqual(new Set(['engineering', 'schema-channel']))
  })

  it('honours keys made with `pulse keys`: allow-lists (403), revocation, and a per-key rate limit (429)', async () => {
    const env = { ...process.env, PULSE_DATA_DIR: dataDir, PULSE_REDIS_URL: '', PULSE_REDIS_PREFIX: '' }
    const created = await runPulse(['keys', 'create', 'billing', '--events', 'invoice_paid'], env)
    expect(created.code).toBe(0)
    const secret = /secret: (\S+)/.exec(created.out)![1]
    const invoice = { event: 'invoice_paid', messageId: crypto.randomUUID(), accountId: 'acct_keys', timestamp: new Date().toISOString(), properties: { invoiceId: 'in_1', amountCents: 1000, currency: 'EUR' } }
    expect((await track(invoice, secret)).status).toBe(202)
    const other = await track({ ...invoice, event: 'feature_used', messageId: crypto.randomUUID(), properties: { feature: 'x' } }, secret)
    expect(other.status).toBe(403)
    expect(await other.json()).toEqual({ error: 'forbidden', message: 'API key "billing" may not send "feature_used"; it may send invoice_paid' })
    expect((await runPulse(['keys', 'list'], env)).out).toContain('billing')

    // Scopes: a track key is held to the live window; a backfill key sends history, validated alike.
    const old = { ...invoice, messageId: crypto.randomUUID(), timestamp: new Date(Date.now() - 90 * 86_400_000).toISOString() }
    const live = await track(old)
    expect(live.status).toBe(400)
    expect((await live.json()).message).toContain('API key "e2e" has the track scope; a key with the backfill scope may send older events')
    const made = await runPulse(['keys', 'create', 'history', '--scopes', 'backfill'], env)
    expect(made.out).toContain('scopes: backfill')
    const history = /secret: (\S+)/.exec(made.out)![1]
    expect((await track(old, history)).status).toBe(202)
    const drifting = await track({ ...old, messageId: crypto.randomUUID(), properties: { ...old.properties, amountCents: 'ten' } }, history)
    expect(drifting.status).toBe(422)
    expect((await runPulse(['keys', 'list'], env)).out).toMatch(/history.*backfill/)
    expect((await runPulse(['keys', 'create', 'bad', '--scopes', 'track+history'], env)).out).toContain('--scopes: unknown scope "history"')

    // The rate limit is per key: a second key floods, and only it is refused.
    const flooder = /secret: (\S+)/.exec((await runPulse(['keys', 'create', 'flooder'], env)).out)![1]
    const burst = await Promise.all(Array.from({ length: 150 }, () => track({ ...invoice, messageId: crypto.randomUUID() }, flooder)))
    const limited = burst.filter((r) => r.status === 429)
    expect(limited.length).toBeGreaterThan(0)
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await limited[0].json()).error).toBe('rate_limited')
    expect((await track({ ...invoice, messageId: crypto.randomUUID() }, secret)).status).toBe(202)

    expect((await runPulse(['keys', 'revoke', 'billing'], env)).code).toBe(0)
    await new Promise((r) => setTimeout(r, 5_200))
    expect((await track({ ...invoice, messageId: crypto.randomUUID() }, secret)).status).toBe(401)
  })

  it('dead-letters a record it cannot decode, and `pulse dlq replay` brings it back once it can', async () => {
    const post = (path: string, body: unknown) =>
      registryFetch(`${platform.endpoints.registry}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json())
    const probeA = { type: 'record', name: 'ProbeA', fields: [{ name: 'a', type: 'string' }] }
    const probe = { type: 'record', name: 'DlqProbe', fields: [{ name: 'n', type: 'int' }] }
    const { id: known } = await post('/subjects/dlq_probe_a/versions', { schema: JSON.stringify(probeA) })
    // Written with the id the next schema will get: unreadable until it is registered.
    const futureId = known + 1
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), (await import('avsc')).default.Type.forSchema(probe as never).toBuffer({ n: 7 })])
    value.writeUInt32BE(futureId, 1)
    const messageId = crypto.randomUUID()
    const kafka = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'acct_dlq', value, headers: { ce_specversion: '1.0', ce_id: messageId, ce_type: 'dlq_probe', ce_time: new Date().toISOString(), ce_source: '/test', ce_accountid: 'acct_dlq' } }] })
    await producer.disconnect()

    const dead: any[] = []
    const reader = kafka.consumer({ groupId: uniqueName('dlq-reader') })
    await reader.connect()
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true })
    await reader.run({ eachMessage: async ({ message }) => void dead.push(Object.fromEntries(Object.entries(message.headers!).map(([k, v]) => [k, String(v)]))) })
    const letter = await eventually('the record in the dead-letter topic', async () => dead.find((h) => h.ce_id === messageId))
    await reader.disconnect()
    expect(letter).toMatchObject({ pulse_dlq_topic: topic, ce_type: 'dlq_probe' })
    expect(letter.pulse_dlq_reason).toMatch(new RegExp(`${futureId}`))

    expect((await post('/subjects/dlq_probe/versions', { schema: JSON.stringify(probe) })).id).toBe(futureId)
    const args = ['dlq', 'replay', '--brokers', inject('kafkaBrokers').join(','), '--topic', topic]
    const replay = await runPulse(args)
    expect(replay.out).toContain('replayed 1 record from')
    const row = await eventually('the replayed record stored', async () => {
      const rs = await clickhouse.query({ query: 'SELECT event, properties FROM events WHERE message_id = {m:String}', query_params: { m: messageId }, format: 'JSONEachRow' })
      return (await rs.json<{ event: string; properties: string }>())[0]
    })
    expect(row).toEqual({ event: 'dlq_probe', properties: '{"n":7}' })
    expect((await runPulse(args)).out).toContain('replayed 0 records from')
  })

  it('accepts and reports undeclared properties for a lenient subject, still refusing real drift', async () => {
    const base = { event: 'email_engaged', accountId: 'acct_lenient', timestamp: new Date().toISOString() }
    const res = await track({ ...base, messageId: crypto.randomUUID(), properties: { emailId: 'e1', engagement: 'CLICK', utmSource: 'newsletter' } })
    expect(res.status).toBe(202)
    expect((await res.json()).warnings).toEqual([expect.objectContaining({ path: 'properties.utmSource', kind: 'unknown_field' })])
    const bad = await track({ ...base, messageId: crypto.randomUUID(), properties: { emailId: 'e1', engagement: 'BOUNCE', utmSource: 'x' } })
    expect(bad.status).toBe(422)
    expect((await bad.json()).violations.map((v: any) => v.kind).sort()).toEqual(['type_mismatch', 'unknown_field'])
    // Strict by default: the same extra property on another event is refused.
    const strict = await track({ event: 'feature_used', accountId: 'a', timestamp: new Date().toISOString(), messageId: crypto.randomUUID(), properties: { feature: 'x', utmSource: 'y' } })
    expect(strict.status).toBe(422)
    await eventually('the accepted extra property in the drift report', async () => {
      const r = await graphql('query { driftReport(since: "1h", subject: "email_engaged") { path kind events } }', {})
      return r.data?.driftReport.find((e: any) => e.path === 'properties.utmSource' && e.events >= 2)
    })
  })

  it("takes a subject's strictness from its registry config, which overrides PULSE_LENIENT_SUBJECTS", async () => {
    const config = (subject: string, method: string, body?: unknown) =>
      registryFetch(`${platform.endpoints.registry}/config/${subject}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) })
    const send = (event: string, properties: unknown) => track({ event, accountId: 'acct_strict', timestamp: new Date().toISOString(), messageId: crypto.randomUUID(), properties })
    // The gateway re-reads a subject's config at most every 5 s (and this key's rate limit forbids polling).
    const configApplied = () => new Promise((r) => setTimeout(r, 5_200))
    const csat = { score: 5, channel: 'chat' }
    const extra = { emailId: 'e1', engagement: 'CLICK', utmSource: 'newsletter' }
    expect((await send('csat_submitted', csat)).status).toBe(422)
    expect((await send('email_engaged', extra)).status).toBe(202)

    expect((await config('csat_submitted', 'PUT', { unknownProperties: 'REPORT' })).status).toBe(200)
    // REJECT in the registry wins over PULSE_LENIENT_SUBJECTS (email_engaged is lenient in this platform).
    expect((await config('email_engaged', 'PUT', { unknownProperties: 'REJECT' })).status).toBe(200)
    await configApplied()
    const accepted = await send('csat_submitted', csat)
    expect(accepted.status).toBe(202)
    expect((await accepted.json()).warnings).toEqual([expect.objectContaining({ path: 'properties.channel', kind: 'unknown_field' })])
    expect((await send('email_engaged', extra)).status).toBe(422)

    // Without a registry setting, the Pulse setting applies again.
    expect(await (await config('email_engaged', 'DELETE')).json()).toEqual({ unknownProperties: 'REJECT' })
    expect(await (await config('csat_submitted', 'DELETE')).json()).toEqual({ unknownProperties: 'REPORT' })
    await configApplied()
    expect((await send('email_engaged', extra)).status).toBe(202)
    expect((await send('csat_submitted', csat)).status).toBe(422)
  })

  it('reports readiness, Prometheus metrics and its OpenAPI description', async () => {
    const ready = await fetch(`${platform.endpoints.gateway}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: true, registry: true } })
    const metrics = await (await fetch(`${platform.endpoints.gateway}/metrics`)).text()
    expect(metrics).toMatch(/^pulse_events_accepted_total\{subject="feature_used"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^pulse_events_rejected_total\{subject="feature_used",kind="unknown_field"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^pulse_events_rejected_total\{subject="\(unknown\)",kind="unknown_event"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^pulse_consumer_lag\{topic="pulse\.events\.e2e-[0-9a-f]+",partition="0"\} \d+$/m)
    expect(metrics).toMatch(/^pulse_http_request_duration_seconds_count\{route="\/v1\/track",status="202"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m)
    const spec = await (await fetch(`${platform.endpoints.gateway}/openapi.json`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()
    expect(spec.openapi).toBe('3.1.0')
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/track', '/v1/batch', '/readyz', '/metrics']))
    // 200: a Segment-shaped call, answered the way Segment's libraries expect.
    expect(Object.keys(spec.paths['/v1/track'].post.responses).sort()).toEqual(['200', '202', '400', '401', '403', '409', '413', '415', '422', '429', '503'])
    // The event body is the registry's catalog: feature_used now has two versions, the older one pinned by number.
    const schemas = spec.components.schemas
    expect(schemas['Event.feature_used'].properties).toMatchObject({ event: { const: 'feature_used' }, schemaVersion: { enum: [2, null] }, properties: { required: ['feature'], additionalProperties: false } })
    expect(schemas['Event.feature_used'].properties.properties.properties).toHaveProperty('plan')
    expect(schemas['Event.feature_used.v1'].properties.schemaVersion).toMatchObject({ const: 1 })
    expect(schemas['Event.feature_used.v1'].required).toContain('schemaVersion')
    expect(spec.components.schemas.Event.oneOf).toContainEqual({ $ref: '#/components/schemas/Event.user_login' })
  })

  it('answers bad requests with specific 4xx errors', async () => {
    const ok = { event: 'user_login', messageId: crypto.randomUUID(), accountId: 'a', timestamp: new Date().toISOString(), properties: { method: 'SSO' } }
    expect((await track(ok, 'wrong-key')).status).toBe(401)
    const noAuth = await fetch(`${platform.endpoints.gateway}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ok) })
    expect(noAuth.status).toBe(401)

    const malformed = await track('{"event": "user_login",')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error).toBe('invalid_json')

    const missing = await track({ ...ok, accountId: undefined })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ error: 'invalid_envelope', message: '"accountId" is required' })

    const wrongType = await track('event=user_login', API_KEY, 'application/x-www-form-urlencoded')
    expect(wrongType.status).toBe(415)

    // A method a path does not serve: 405 and what it takes, before any body is read.
    const wrongMethod = await fetch(`${platform.endpoints.gateway}/v1/track`, { method: 'PUT', headers: { authorization: `Bearer ${API_KEY}` }, body: 'x' })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
    expect(await wrongMethod.json()).toEqual({ error: 'method_not_allowed', message: '/v1/track does not take PUT; it takes POST' })
    expect((await fetch(`${platform.endpoints.gateway}/healthz`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD')
    expect((await fetch(`${platform.endpoints.gateway}/v2/track`, { method: 'POST' })).status).toBe(404)

    expect((await track(ok)).status).toBe(202)
  })

  it('the console: events sent through the gateway change the open account\'s score on screen within seconds', async () => {
    // An account of its own: a profile and a few days of use, scored through the pipeline.
    const accountId = uniqueName('acct_console')
    const start = Date.now()
    const today = Math.floor(start / 86_400_000)
    const sent = [
      { event: 'account_updated', properties: { name: 'Console Corp', segment: 'SMB', industry: null, csmId: 'csm_7', signupDate: today - 90, country: 'DE' } },
      { event: 'subscription_updated', properties: { plan: 'pro', mrrCents: 50_000, currency: 'EUR', termMonths: 12, renewalDate: today + 200, autoRenew: true, status: 'ACTIVE', previousMrrCents: null } },
      { event: 'seats_updated', properties: { seatsPurchased: 10, seatsActive: 8, previousSeatsPurchased: null, previousSeatsActive: null } },
      { event: 'invoice_paid', properties: { invoiceId: 'in_console', amountCents: 50_000, currency: 'EUR', dueDate: null, daysLate: 0 } },
      ...[1, 2, 3, 4, 5].map((d) => ({ event: 'user_login', userId: `u_${d}`, properties: { method: 'SSO', mfa: true }, daysAgo: d })),
    ]
    for (const [i, e] of sent.entries()) {
      const { daysAgo = 0, ...event } = e as typeof e & { daysAgo?: number }
      expect((await track({ ...event, messageId: crypto.randomUUID(), accountId, timestamp: new Date(start - daysAgo * 86_400_000 - 60_000 + i).toISOString() })).status).toBe(202)
    }
    // Every event stored (one the gateway's filter took for a duplicate is checked apart and may land seconds
    // later), then a score computed after the last: the score the bad news below is compared with.
    const lastStored = await eventually('every event of the console account stored', async () => {
      const rs = await clickhouse.query({ query: 'SELECT count() AS n, toUnixTimestamp64Milli(max(stored_at)) AS at FROM events WHERE account_id = {a:String}', query_params: { a: accountId }, format: 'JSONEachRow' })
      const [r] = await rs.json<{ n: string; at: string }>()
      return Number(r.n) === sent.length ? Number(r.at) : undefined
    })
    await eventually('the console account scored from all of them', async () => {
      const s = (await graphql(`query($id: ID!) { account(id: $id) { healthScore { score computedAt } } }`, { id: accountId })).data?.account?.healthScore
      return s && Date.parse(s.computedAt) >= lastStored ? s.score : undefined
    })
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      // The link pulse dev prints: the console with the key in its fragment.
      await page.goto(`${platform.endpoints.console}#key=${encodeURIComponent(API_KEY)}`)
      await page.getByRole('heading', { name: 'Portfolio' }).waitFor()
      await page.goto(`${platform.endpoints.console}#/account?id=${encodeURIComponent(accountId)}`)
      const score = page.locator('[data-field=score]')
      await score.waitFor()
      const before = (await graphql(`query($id: ID!) { account(id: $id) { healthScore { score } } }`, { id: accountId })).data.account.healthScore.score
      await expect.poll(() => score.textContent()).toBe(String(before))
      const now = Date.now()
      const bad = [
        { event: 'nps_submitted', properties: { score: 0, comment: 'unusable', surveyId: null } },
        ...[1, 2, 3].map((i) => ({ event: 'support_ticket_opened', properties: { ticketId: `console-${i}`, severity: 'P1', channel: 'EMAIL', category: null } })),
      ]
      for (const [i, e] of bad.entries()) {
        expect((await track({ ...e, messageId: crypto.randomUUID(), accountId, timestamp: new Date(now - 10_000 + i).toISOString() })).status).toBe(202)
      }
      // Gateway → Kafka → ClickHouse → scoring → pub/sub → the page's subscription → the page reads again.
      await expect.poll(() => score.textContent(), { timeout: 30_000 }).not.toBe(String(before))
      const after = (await graphql(`query($id: ID!) { account(id: $id) { healthScore { score } } }`, { id: accountId })).data.account.healthScore.score
      await expect.poll(() => score.textContent(), { timeout: 10_000 }).toBe(String(after))
      expect(after).toBeLessThan(before)
    } finally {
      await browser.close()
    }
  })
})
