import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { isCompatibilityLevel } from './compatibility.js'
import { errors, RegistryError } from './errors.js'
import { SchemaStore } from './schema-store.js'
import { hangUpWhenClosing, httpServerOptions } from '../runtime/http.js'

export { SchemaStore }

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

interface SchemaBody {
  schema?: unknown
  schemaType?: unknown
  references?: unknown
}

/**
 * Pulse's schema registry: the Confluent Schema Registry REST API over a SchemaStore, so
 * `@kafkajs/confluent-schema-registry` and every other Confluent client work against it unchanged.
 */
export function createRegistryServer(opts: { store: SchemaStore; logger?: Logger }): FastifyInstance {
  const app = Fastify(httpServerOptions(opts.logger, 'registry'))
  const { store } = opts

  hangUpWhenClosing(app)
  app.addContentTypeParser(
    ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )
  app.addHook('onSend', async (_req, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.header('content-type', CONTENT_TYPE)
    return payload
  })
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof RegistryError) return reply.code(err.status).send(err.toJSON())
    const status = err.statusCode ?? 500
    if (status < 500) return reply.code(status).send({ error_code: status, message: err.message })
    reply.log.error({ err }, 'registry error')
    return reply.code(500).send({ error_code: 50001, message: 'Error in the backend data store' })
  })
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error_code: 404, message: 'HTTP 404 Not Found' }))

  const schemaText = (body: SchemaBody | undefined): string => {
    if (!body || typeof body !== 'object') throw errors.badRequest('request body must be a JSON object with a "schema" string')
    if (body.schemaType !== undefined && body.schemaType !== null && body.schemaType !== 'AVRO') {
      throw errors.unsupportedSchemaType(body.schemaType)
    }
    if (Array.isArray(body.references) && body.references.length > 0) {
      throw errors.invalidSchema('schema references are not supported yet')
    }
    if (typeof body.schema !== 'string') throw errors.invalidSchema('"schema" must be a string holding the Avro schema JSON')
    return body.schema
  }
  const versionBody = (subject: string, version: string) => {
    const v = store.version(subject, version)
    return { subject, version: v.version, id: v.id, schema: store.schemaById(v.id).schema }
  }
  const schemaId = (raw: string): number => {
    const id = Number(raw)
    if (!Number.isInteger(id) || id < 1) throw errors.schemaNotFound(`Schema ${raw} not found`)
    return id
  }

  type S = { Params: { subject: string } }
  type SV = { Params: { subject: string; version: string } }

  app.get('/', async () => ({}))
  app.get('/schemas/types', async () => ['AVRO'])
  app.get<{ Params: { id: string } }>('/schemas/ids/:id', async (req) => ({ schema: store.schemaById(schemaId(req.params.id)).schema }))
  app.get<{ Params: { id: string } }>('/schemas/ids/:id/versions', async (req) =>
    store.subjectVersionsOf(schemaId(req.params.id)).map(({ subject, version }) => ({ subject, version })),
  )
  app.get<{ Params: { id: string } }>('/schemas/ids/:id/subjects', async (req) => [
    ...new Set(store.subjectVersionsOf(schemaId(req.params.id)).map((v) => v.subject)),
  ])

  app.get('/subjects', async () => store.subjectNames())
  app.get<S>('/subjects/:subject/versions', async (req) => store.versions(req.params.subject))
  app.post<S & { Body: SchemaBody }>('/subjects/:subject/versions', async (req) => {
    const { id } = store.register(req.params.subject, schemaText(req.body))
    return { id }
  })
  app.post<S & { Body: SchemaBody }>('/subjects/:subject', async (req) => {
    const found = store.lookup(req.params.subject, schemaText(req.body))
    return versionBody(req.params.subject, String(found.version))
  })
  app.get<SV>('/subjects/:subject/versions/:version', async (req) => versionBody(req.params.subject, req.params.version))
  app.get<SV>('/subjects/:subject/versions/:version/schema', async (req, reply: FastifyReply) => {
    const v = store.version(req.params.subject, req.params.version)
    return reply.type(CONTENT_TYPE).send(store.schemaById(v.id).schema)
  })

  app.post<SV & { Body: SchemaBody; Querystring: { verbose?: string } }>('/compatibility/subjects/:subject/versions/:version', async (req) => {
    const reasons = store.checkCompatibility(req.params.subject, schemaText(req.body), req.params.version)
    return req.query.verbose === 'true' ? { is_compatible: reasons.length === 0, messages: reasons } : { is_compatible: reasons.length === 0 }
  })

  app.get('/config', async () => ({ compatibilityLevel: store.compatibility() }))
  app.put<{ Body: { compatibility?: unknown } }>('/config', async (req) => {
    const level = req.body?.compatibility
    if (!isCompatibilityLevel(level)) throw errors.invalidCompatibility(level)
    store.setCompatibility(null, level)
    return { compatibility: level }
  })
  app.get<S & { Querystring: { defaultToGlobal?: string } }>('/config/:subject', async (req) => {
    const level = store.subjectCompatibility(req.params.subject)
    if (level) return { compatibilityLevel: level }
    if (req.query.defaultToGlobal === 'true') return { compatibilityLevel: store.compatibility() }
    throw errors.subjectConfigNotFound(req.params.subject)
  })
  app.put<S & { Body: { compatibility?: unknown } }>('/config/:subject', async (req) => {
    const level = req.body?.compatibility
    if (!isCompatibilityLevel(level)) throw errors.invalidCompatibility(level)
    store.setCompatibility(req.params.subject, level)
    return { compatibility: level }
  })
  app.delete<S>('/config/:subject', async (req) => {
    const previous = store.subjectCompatibility(req.params.subject)
    if (!previous) throw errors.subjectConfigNotFound(req.params.subject)
    store.setCompatibility(req.params.subject, null)
    return { compatibilityLevel: previous }
  })

  return app
}
