import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { cloudEventHeaders } from './cloudevents.js'
import type { BatchingProducer } from './event-producer.js'
import type { LatestSchemas } from './latest-schemas.js'
import { parseTrackRequest } from './track-request.js'
import { findViolations, type Violation } from './violations.js'
import { hangUpWhenClosing, httpServerOptions } from '../runtime/http.js'

export { BatchingProducer } from './event-producer.js'
export { LatestSchemas } from './latest-schemas.js'
export { createAuthenticator, generateApiKey } from './api-keys.js'

export interface GatewayDeps {
  registry: SchemaRegistry
  schemas: LatestSchemas
  producer: BatchingProducer
  /** Maps an Authorization header to the API key's name, or undefined when it is not a valid key. */
  authenticate: (authorization: string | undefined) => string | undefined
  logger?: Logger
  bodyLimitBytes?: number
}

const RETRY_AFTER_SECONDS = 5

/** The tracking gateway: authenticates, validates against the event's registered schema, and writes to Kafka. */
export function createGateway(deps: GatewayDeps): FastifyInstance {
  const app = Fastify({
    ...httpServerOptions(deps.logger, 'gateway'),
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
  })

  hangUpWhenClosing(app)
  // Fastify's own rejections (bad JSON, wrong content type, too large) in the gateway's error shape.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) {
      reply.log.error({ err }, 'gateway error')
      return reply.code(500).send({ error: 'internal_error', message: 'internal error' })
    }
    const error =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type'
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large'
      : status === 400 ? 'invalid_json'
      : 'bad_request'
    return reply.code(status).send({ error, message: err.message })
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }))

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.post('/v1/track', async (req, reply) => {
    const keyName = deps.authenticate(req.headers.authorization)
    if (!keyName) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'send a valid API key as "Authorization: Bearer <key>"' })
    }
    const parsed = parseTrackRequest(req.body)
    if (!parsed.ok) return reply.code(400).send({ error: 'invalid_envelope', message: parsed.reason })
    const event = parsed.event

    let schema
    try {
      schema = await deps.schemas.get(event.event)
    } catch (err) {
      req.log.warn({ err }, 'schema registry lookup failed')
      return unavailable(reply, 'the schema registry could not be reached; the event was not accepted, retry later')
    }
    if (!schema) {
      const violation: Violation = {
        path: 'event',
        kind: 'unknown_event',
        expected: 'the name of a registered event schema (subject)',
        actual: JSON.stringify(event.event),
        message: `event: no schema is registered for event "${event.event}"`,
      }
      return reply.code(422).send({ error: 'schema_violation', violations: [violation] })
    }
    const violations = findViolations(schema.type, event.properties)
    if (violations.length) return reply.code(422).send({ error: 'schema_violation', schemaId: schema.id, violations })

    const value = await deps.registry.encode(schema.id, event.properties)
    try {
      await deps.producer.send({
        key: event.accountId,
        value,
        headers: cloudEventHeaders(event, { source: `/pulse/gateway/keys/${keyName}`, schemaId: schema.id }),
      })
    } catch (err) {
      req.log.warn({ err }, 'kafka produce failed')
      return unavailable(reply, 'the event could not be written to Kafka; it was not accepted, retry later')
    }
    return reply.code(202).send({ messageId: event.messageId, schemaId: schema.id })
  })

  return app
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'unavailable', message })
}
