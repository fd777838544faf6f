import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { answerUnrouted, hangUpWhenClosing, httpServerOptions, logRequests } from '../runtime/http.js'
import { cloudEventHeaders } from './cloudevents.js'
import type { BatchingProducer } from './event-producer.js'
import type { EventSchemas } from './event-schemas.js'
import { DEFAULT_LIMITS, parseTimestamp, parseTrackRequest, type EnvelopeLimits } from './track-request.js'
import crypto from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { Redis } from 'ioredis'
import type { Message } from 'kafkajs'
import { authorize, hasScope, mayTrack, SCOPES, type ApiKey, type ApiKeys, type Authorization } from '../runtime/auth/index.js'
import { redact, type DriftCollector } from './drift.js'
import { VERIFY_HEADER, type MessageIds } from './message-ids.js'
import type { GatewayMetrics } from './metrics.js'
import { buildOpenApi, catalogOf } from './openapi.js'
import { findViolations, type Violation } from './violations.js'
import { inflateRequestBodies } from './gzip.js'
import { countSegment } from './segment/count.js'
import { DEFAULT_ACCOUNT_PATHS, isSegmentMessage, MAX_MESSAGE_BYTES, translateSegment, type SegmentError, type Translation } from './segment/message.js'
import { segmentCalls, type SegmentRequest } from './segment/routes.js'

export { BatchingProducer } from './event-producer.js'
export { EventSchemas } from './event-schemas.js'
export { createGatewayMetrics } from './metrics.js'
export { MessageIds } from './message-ids.js'
export { DriftCollector } from './drift.js'

export interface GatewayDeps {
  registry: SchemaRegistry
  schemas: EventSchemas
  producer: BatchingProducer
  apiKeys: ApiKeys
  /** Requests allowed to one API key per window (Redis-backed when `rateLimitRedis` is given); 500/s by default. */
  rateLimit?: { max: number; windowMs: number }
  rateLimitRedis?: Redis
  logger?: Logger
  limits?: EnvelopeLimits
  bodyLimitBytes?: number
  maxBatchEvents?: number
  metrics?: GatewayMetrics
  /** Subjects whose undeclared properties are accepted and reported instead of refused. */
  lenientSubjects?: ReadonlySet<string>
  /** Where refusals are reported; without it they are only answered. */
  drift?: DriftCollector
  /** Deduplication of messageIds across requests and gateway instances; without it every event is sent. */
  messageIds?: MessageIds
  /** Whether each dependency answers; /readyz is 200 only when all do. */
  checkReady?: () => Promise<Record<string, boolean>>
  /**
   * Where a Segment message's account is read when it has no `context.groupId`: dot paths into the message,
   * tried in order (PULSE_SEGMENT_ACCOUNT_PATH). DEFAULT_ACCOUNT_PATHS unless given.
   */
  segmentAccountPaths?: readonly string[]
}

/** The fields a batch may carry beside `batch` (what Segment's and RudderStack's libraries send), and their JSON types. */
const BATCH_FIELDS: Record<string, 'string' | 'object'> = { sentAt: 'string', timestamp: 'string', writeKey: 'string', context: 'object', integrations: 'object', _metadata: 'object' }

/** What happened to one event; `/v1/track` maps it to a status code, `/v1/batch` lists one per event. */
export type EventResult =
  | { status: 'accepted'; messageId: string; schemaId: number; schemaVersion: number; duplicate?: true; warnings?: Violation[] }
  | { status: 'rejected'; messageId?: string; error: 'schema_violation'; schemaId?: number; schemaVersion?: number; violations: Violation[] }
  | { status: 'rejected'; messageId?: string; error: 'invalid_envelope' | 'timestamp_out_of_range' | 'limit_exceeded' | 'forbidden' | Exclude<SegmentError, 'invalid_envelope'>; message: string }
  | { status: 'failed'; messageId: string; error: 'unavailable' | 'in_flight'; message: string }

interface ValidEvent {
  status: 'valid'
  messageId: string
  schemaId: number
  schemaVersion: number
  message: Message
  /** Epoch ms of the event's timestamp. */
  at: number
  /** Undeclared properties of a lenient subject: accepted (and dropped from the Avro record), reported. */
  warnings?: Violation[]
}

const RETRY_AFTER_SECONDS = 5

/** The tracking gateway: authenticates, validates against the event's registered schema, and writes to Kafka. */
export async function createGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const limits = deps.limits ?? DEFAULT_LIMITS
  // A backfill key sends history: any age, validated otherwise exactly like live events.
  const backfillLimits: EnvelopeLimits = { ...limits, maxPastMs: Number.POSITIVE_INFINITY }
  const maxBatch = deps.maxBatchEvents ?? 500
  const accountPaths = (deps.segmentAccountPaths ?? DEFAULT_ACCOUNT_PATHS).map((p) => p.split('.'))
  const app = Fastify({ ...httpServerOptions(deps.logger, 'gateway'), bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024 })
  hangUpWhenClosing(app)
  logRequests(app)
  // Events are JSON only; Fastify would otherwise hand text/plain bodies through as strings.
  app.removeContentTypeParser('text/plain')
  inflateRequestBodies(app)
  await app.register(rateLimit, {
    global: false,
    redis: deps.rateLimitRedis,
    nameSpace: 'pulse-rate-limit:',
    // A Redis hiccup must not turn into refused events.
    skipOnError: true,
    // Per API key; the secret itself never becomes a Redis key.
    keyGenerator: (req) => crypto.createHash('sha256').update(req.headers.authorization ?? req.ip).digest('hex').slice(0, 32),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `more than ${ctx.max} requests per ${ctx.after} for this API key; retry after the Retry-After header's seconds`,
    }),
  })
  const limited = { rateLimit: { max: deps.rateLimit?.max ?? 500, timeWindow: deps.rateLimit?.windowMs ?? 1000 } }

  // Fastify's own rejections (bad JSON, wrong content type, too large) in the gateway's error shape.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) {
      reply.log.error({ err }, 'gateway error')
      return reply.code(500).send({ error: 'internal_error', message: 'internal error' })
    }
    if (err.code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'the body has no Content-Type header; send it as application/json' })
    }
    const error =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type'
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large'
      : err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ? 'bad_request'
      : status === 400 ? 'invalid_json'
      : status === 429 ? 'rate_limited'
      : 'bad_request'
    const message =
      err.message === 'Object contains forbidden prototype property'
        ? 'the JSON has a "__proto__" key, or a "constructor" key holding an object with a "prototype" key; neither is taken anywhere in a body'
        : err.message
    return reply.code(status).send({ error, message })
  })
  answerUnrouted(app, (reply, status, message) =>
    status === 405 ? reply.code(405).send({ error: 'method_not_allowed', message }) : reply.code(404).send({ error: 'not_found', message: `${message}; the API is described at GET /openapi.json` }),
  )

  const isLenient = async (subject: string): Promise<boolean> => {
    const policy = await deps.schemas.unknownProperties(subject)
    return policy ? policy === 'REPORT' : deps.lenientSubjects?.has(subject) === true
  }

  /** Validates and encodes one event; the Kafka write is left to the caller so a batch shares requests. */
  const prepare = async (body: unknown, key: ApiKey): Promise<EventResult | ValidEvent> => {
    const backfill = hasScope(key, 'backfill')
    const parsed = parseTrackRequest(body, backfill ? backfillLimits : limits)
    const messageId = typeof (body as { messageId?: unknown })?.messageId === 'string' ? (body as { messageId: string }).messageId : undefined
    if (!parsed.ok) {
      const hint = parsed.error === 'timestamp_out_of_range' && !backfill ? ` (API key "${key.name}" has the track scope; a key with the backfill scope may send older events)` : ''
      return { status: 'rejected', messageId, error: parsed.error, message: parsed.reason + hint }
    }
    const event = parsed.event
    if (!mayTrack(key, event.event)) {
      return { status: 'rejected', messageId, error: 'forbidden', message: `API key "${key.name}" may not send "${event.event}"; it may send ${key.events!.join(', ') || 'no events'}` }
    }
    const schema = await deps.schemas.get(event.event, event.schemaVersion ?? 'latest')
    if (!schema) {
      const pinned = event.schemaVersion !== undefined
      const violation: Violation = pinned
        ? { path: 'schemaVersion', kind: 'unknown_event', expected: `a registered version of "${event.event}"`, actual: String(event.schemaVersion), message: `schemaVersion: "${event.event}" has no version ${event.schemaVersion}` }
        : { path: 'event', kind: 'unknown_event', expected: 'the name of a registered event schema (subject)', actual: JSON.stringify(event.event), message: `event: no schema is registered for event "${event.event}"` }
      return { status: 'rejected', messageId: event.messageId, error: 'schema_violation', violations: [violation] }
    }
    const found = findViolations(schema.type, event.properties)
    // Undeclared properties: the subject's registry config decides (unknownProperties REJECT / REPORT), else
    // PULSE_LENIENT_SUBJECTS. Asked only when there are some, so valid events never wait for it.
    const lenient = found.some((v) => v.kind === 'unknown_field') && (await isLenient(event.event))
    const warnings = lenient ? found.filter((v) => v.kind === 'unknown_field') : []
    const violations = lenient ? found.filter((v) => v.kind !== 'unknown_field') : found
    if (violations.length) {
      return { status: 'rejected', messageId: event.messageId, error: 'schema_violation', schemaId: schema.id, schemaVersion: schema.version, violations: found }
    }
    const value = await deps.registry.encode(schema.id, event.properties)
    const headers = cloudEventHeaders(event, { source: `/pulse/gateway/keys/${key.name}`, schemaId: schema.id })
    return {
      status: 'valid',
      messageId: event.messageId,
      schemaId: schema.id,
      schemaVersion: schema.version,
      message: { key: event.accountId, value, headers },
      at: Date.parse(event.timestamp),
      ...(warnings.length ? { warnings } : {}),
    }
  }

  /**
   * Every event's result, in order. Valid events whose messageId is new go to Kafka together, whatever
   * happens to the others; an id already accepted within the dedup window is acknowledged, not re-sent.
   */
  const accept = async (raw: unknown[], key: ApiKey, log: FastifyBaseLogger, segment: SegmentRequest = { checkSize: true }): Promise<EventResult[]> => {
    // Segment's shape is read as Pulse's envelope first; from there on every event takes the same path.
    let translations: (Translation | undefined)[] | undefined
    let bodies = raw
    if (segment.impliedType || raw.some(isSegmentMessage)) {
      const opts = { accountPaths, receivedAt: Date.now(), ...segment }
      translations = raw.map((b) => (segment.impliedType || isSegmentMessage(b) ? translateSegment(b, opts) : undefined))
      bodies = raw.map((b, i) => {
        const t = translations![i]
        return t?.ok ? t.body : b
      })
    }
    const prepared = await Promise.all(
      bodies.map((b, i): Promise<EventResult | ValidEvent> | EventResult => {
        const t = translations?.[i]
        if (t && !t.ok) return { status: 'rejected', ...(t.messageId ? { messageId: t.messageId } : {}), error: t.error, message: t.message }
        return prepare(b, key)
      }),
    )
    const valid = prepared.filter((p): p is ValidEvent => p.status === 'valid')
    const claims = deps.messageIds ? await deps.messageIds.claim(valid.map((v) => v.messageId)) : valid.map(() => 'new' as const)
    const claimOf = new Map(valid.map((v, i) => [v, claims[i]]))
    const done: string[] = []
    const released: string[] = []
    const results = await Promise.all(
      prepared.map(async (p, i): Promise<EventResult> => {
        if (p.status !== 'valid') return p
        // A group call's traits account_updated has no field for: accepted without them, reported like lenient drift.
        const t = translations?.[i]
        const warnings = t?.ok && t.warnings ? [...(p.warnings ?? []), ...t.warnings] : p.warnings
        const accepted = { status: 'accepted' as const, messageId: p.messageId, schemaId: p.schemaId, schemaVersion: p.schemaVersion, ...(warnings ? { warnings } : {}) }
        const claim = claimOf.get(p)
        if (claim === 'in_flight') {
          return { status: 'failed', messageId: p.messageId, error: 'in_flight', message: 'an event with this messageId is being written right now; retry shortly' }
        }
        // The processor checks the store before inserting an event marked for verification: one whose
        // id the filter has seen (a duplicate, or a false positive), and one older than the dedup window,
        // whose first copy may have come before the window (a re-run backfill). Exact beyond the window.
        const seen = claim === 'seen'
        const verify = seen || (deps.messageIds !== undefined && p.at < Date.now() - deps.messageIds.ttlMs)
        try {
          await deps.producer.send(verify ? { ...p.message, headers: { ...p.message.headers, [VERIFY_HEADER]: '1' } } : p.message)
          if (seen) return { ...accepted, duplicate: true }
          done.push(p.messageId)
          return accepted
        } catch (err) {
          log.warn({ err }, 'kafka produce failed')
          released.push(p.messageId)
          return { status: 'failed', messageId: p.messageId, error: 'unavailable', message: 'the event could not be written to Kafka; it was not accepted, retry later' }
        }
      }),
    )
    await Promise.all([deps.messageIds?.markDone(done), deps.messageIds?.release(released)])
    if (deps.metrics) {
      results.forEach((r, i) => count(deps.metrics!, r, translations?.[i]?.ok === false ? undefined : bodies[i]))
      if (translations) countSegment(deps.metrics, results, translations, key.name)
    }
    if (deps.drift) {
      results.forEach((r, i) => {
        const t = translations?.[i]
        if (t && !t.ok) {
          deps.drift!.add({ subject: t.subject, version: 0, kind: t.error, path: t.path, expected: t.expected, actual: t.actual, source: key.name, sample: JSON.stringify(redact(raw[i])) })
          return
        }
        // The traits a refused group call would have lost are reported too, not only the refusal.
        if (t?.warnings && r.status !== 'accepted') reportDrift(deps.drift!, { status: 'rejected', error: 'schema_violation', violations: t.warnings }, bodies[i], key.name)
        if (r.status === 'rejected') reportDrift(deps.drift!, r, bodies[i], key.name)
        else if (r.status === 'accepted' && r.warnings && !r.duplicate) {
          reportDrift(deps.drift!, { status: 'rejected', error: 'schema_violation', schemaVersion: r.schemaVersion, violations: r.warnings }, bodies[i], key.name)
        }
      })
    }
    return results
  }

  /** Answers a refused request: 401, 403, or 503 when the key store is unreachable. */
  const refuse = (reply: FastifyReply, decided: Exclude<Authorization, { ok: true }>): FastifyReply => {
    if (decided.status === 503) {
      reply.log.warn('api key store unreachable')
      return unavailable(reply, `${decided.message}; nothing was accepted, retry later`)
    }
    if (decided.status === 401) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: decided.message })
    return reply.code(403).send({ error: 'forbidden', message: decided.message })
  }

  /** The request's API key if it may send events, or undefined after answering 401, 403 or 503. */
  const authenticate = async (authorization: string | undefined, reply: FastifyReply, writeKey?: unknown): Promise<ApiKey | undefined> => {
    // Segment's HTTP API also takes the write key in the body; the header wins when both are sent.
    const presented = authorization ?? (typeof writeKey === 'string' && writeKey ? `Bearer ${writeKey}` : undefined)
    const decided = await authorize(deps.apiKeys, presented, ['track', 'backfill'])
    if (decided.ok) return decided.key
    refuse(reply, decided)
    return undefined
  }

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics?.requestDuration.observe({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const checks = (await deps.checkReady?.()) ?? {}
    const ready = Object.values(checks).every(Boolean)
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })
  app.get('/metrics', async (_req, reply) => {
    if (!deps.metrics) return reply.code(404).send({ error: 'not_found', message: 'metrics are not enabled' })
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics())
  })
  // Built from the registry's catalog when asked (its lookups are cached); the last one built stands in while the registry is away.
  let lastOpenApi: unknown
  app.get('/openapi.json', async (req, reply) => {
    // Any valid key: the document is the event catalog, which is as private as the registry it comes from.
    const decided = await authorize(deps.apiKeys, req.headers.authorization, SCOPES)
    if (!decided.ok) return refuse(reply, decided)
    try {
      const events = await catalogOf(deps.schemas, isLenient)
      lastOpenApi = buildOpenApi(events, { limits, maxBatchEvents: maxBatch, bodyLimitBytes: app.initialConfig.bodyLimit ?? 1024 * 1024, metrics: deps.metrics !== undefined, now: Date.now() })
    } catch (err) {
      req.log.warn({ err }, 'schema registry unreachable for the OpenAPI catalog')
      if (lastOpenApi === undefined) return unavailable(reply, 'the schema registry could not be reached for the event catalog; retry later')
    }
    return lastOpenApi
  })

  /** 200 with one result per event, 503 when Kafka failed any (its results say which), 503 when nothing could be checked. */
  const answerBatch = async (reply: FastifyReply, log: FastifyBaseLogger, run: () => Promise<EventResult[]>, what: string) => {
    let results: EventResult[]
    try {
      results = await run()
    } catch (err) {
      log.warn({ err }, 'schema registry or Redis unreachable')
      return unavailable(reply, `the schema registry or the deduplication store could not be reached; ${what}, retry later`)
    }
    const counts = { accepted: 0, rejected: 0, failed: 0 }
    for (const r of results) counts[r.status]++
    // 503 when Kafka failed any event, so that generic clients (Segment's libraries too) retry; the results say which.
    if (counts.failed) reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
    return reply.send({ ...counts, results })
  }

  const segmentCall = segmentCalls(app, {
    authenticate,
    acceptAndAnswer: (reply, log, key, messages, request) => answerBatch(reply, log, () => accept(messages, key, log, request), 'the event was not accepted'),
    routeOptions: { config: limited },
  })

  app.post('/v1/track', { config: limited }, async (req, reply) => {
    if (isSegmentMessage(req.body)) return segmentCall('track', req.body, req, reply)
    const key = await authenticate(req.headers.authorization, reply)
    if (!key) return reply
    let result: EventResult
    try {
      ;[result] = await accept([req.body], key, req.log)
    } catch (err) {
      req.log.warn({ err }, 'schema registry or Redis unreachable')
      return unavailable(reply, 'the schema registry or the deduplication store could not be reached; the event was not accepted, retry later')
    }
    switch (result.status) {
      case 'accepted': {
        const { status: _s, ...body } = result
        return reply.code(202).send(body)
      }
      case 'failed':
        if (result.error === 'in_flight') return reply.code(409).header('retry-after', '1').send({ error: 'in_flight', message: result.message })
        return unavailable(reply, result.message)
      case 'rejected': {
        const { status: _s, messageId: _m, ...body } = result
        return reply.code(result.error === 'schema_violation' ? 422 : result.error === 'forbidden' ? 403 : 400).send(body)
      }
    }
  })

  app.post('/v1/batch', { config: limited }, async (req, reply) => {
    const body = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>
    const key = await authenticate(req.headers.authorization, reply, body.writeKey)
    if (!key) return reply
    const batch = body.batch
    if (!Array.isArray(batch)) return reply.code(400).send({ error: 'invalid_batch', message: 'the body must be {"batch": [ …events… ]}' })
    if (batch.length === 0) return reply.code(400).send({ error: 'invalid_batch', message: '"batch" is empty' })
    if (batch.length > maxBatch) return reply.code(400).send({ error: 'batch_too_large', message: `"batch" holds ${batch.length} events; the limit is ${maxBatch}` })
    // Segment's libraries send sentAt and writeKey (RudderStack's a timestamp) beside the batch; nothing else is taken.
    const extra = Object.keys(body).filter((k) => k !== 'batch' && !Object.hasOwn(BATCH_FIELDS, k))
    if (extra.length) return reply.code(400).send({ error: 'invalid_batch', message: `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} next to "batch"; allowed: batch, ${Object.keys(BATCH_FIELDS).join(', ')}` })
    for (const [field, type] of Object.entries(BATCH_FIELDS)) {
      const v = body[field]
      if (v === undefined) continue
      const ok = type === 'string' ? typeof v === 'string' && (field === 'writeKey' || parseTimestamp(v) !== undefined) : typeof v === 'object' && v !== null && !Array.isArray(v)
      if (!ok) return reply.code(400).send({ error: 'invalid_batch', message: `"${field}" must be ${type === 'object' ? 'a JSON object' : field === 'writeKey' ? 'a string' : 'an RFC 3339 date-time'}, got ${JSON.stringify(v)}` })
    }
    const length = Number(req.headers['content-length'])
    const segment: SegmentRequest = {
      checkSize: !(length <= MAX_MESSAGE_BYTES),
      ...(typeof body.sentAt === 'string' ? { batchSentAt: parseTimestamp(body.sentAt) } : {}),
      ...(body.context ? { batchContext: body.context as Record<string, unknown> } : {}),
    }
    return answerBatch(reply, req.log, () => accept(batch, key, req.log, segment), 'no event of the batch was accepted')
  })

  return app
}

function count(metrics: GatewayMetrics, r: EventResult, body: unknown): void {
  const event = (body as { event?: unknown } | null)?.event
  // Unknown event names would make unbounded label values; they share one.
  const subject = typeof event === 'string' && !(r.status === 'rejected' && r.error === 'schema_violation' && r.violations[0]?.kind === 'unknown_event') ? event : '(unknown)'
  if (r.status === 'accepted') (r.duplicate ? metrics.duplicates : metrics.accepted).inc({ subject })
  else if (r.status === 'failed') metrics.produceErrors.inc()
  else if (r.error === 'schema_violation') for (const v of r.violations) metrics.rejected.inc({ subject, kind: v.kind })
  else metrics.rejected.inc({ subject, kind: r.error })
}

function reportDrift(drift: DriftCollector, r: Extract<EventResult, { status: 'rejected' }>, body: unknown, source: string): void {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const subject = typeof b.event === 'string' ? b.event : '(none)'
  const sample = JSON.stringify(redact(b.properties ?? b))
  if (r.error === 'schema_violation') {
    for (const v of r.violations) {
      drift.add({ subject, version: r.schemaVersion ?? 0, kind: v.kind, path: v.path, expected: v.expected, actual: v.actual, source, sample })
    }
  } else {
    drift.add({ subject, version: 0, kind: r.error, path: '', expected: '', actual: r.message, source, sample })
  }
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'unavailable', message })
}
