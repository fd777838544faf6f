import Fastify, { type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { authorize, SCOPES, type ApiKeys } from '../runtime/auth/index.js'
import { hangUpWhenClosing, httpServerOptions, logRequests } from '../runtime/http.js'
import { isCompatibilityLevel } from './compatibility.js'
import { errors, RegistryError } from './errors.js'
import { isMode, isUnknownProperties, SchemaStore, type SchemaReference, type SubjectVersion } from './schema-store.js'

export { SchemaStore }
export { registryClientOptions, schemaRegistryClient } from './registry-client.js'
export { registryRest, type RegistryCall, type RegistryTarget } from './rest-client.js'

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

interface SchemaBody {
  schema?: unknown
  schemaType?: unknown
  references?: unknown
  id?: unknown
  version?: unknown
}

type Flag = { deleted?: string; permanent?: string; verbose?: string; defaultToGlobal?: string; force?: string }

/** Who may use the registry: writes need a key with admin; reads any valid key, or none when `openReads`. */
export interface RegistryAccess {
  apiKeys: ApiKeys
  openReads?: boolean
}

/**
 * Requests that change nothing. Confluent's lookup (`POST /subjects/{subject}`) and compatibility check are
 * POSTs only because they carry a schema: they read, and its clients call them with read-only credentials.
 */
function isRead(method: string, route: string | undefined): boolean {
  if (method === 'GET' || method === 'HEAD') return true
  return method === 'POST' && (route === '/subjects/:subject' || route?.startsWith('/compatibility/') === true)
}

/**
 * Pulse's schema registry: the Confluent Schema Registry REST API over a SchemaStore, so
 * `@kafkajs/confluent-schema-registry` and every other Confluent client work against it unchanged, including
 * their Basic auth (`basic.auth.user.info` = a key's name and secret) and Bearer tokens.
 */
export function createRegistryServer(opts: { store: SchemaStore; access: RegistryAccess; logger?: Logger }): FastifyInstance {
  const app = Fastify(httpServerOptions(opts.logger, 'registry'))
  const { store, access } = opts

  hangUpWhenClosing(app)
  logRequests(app)
  // Confluent's Java client sends its content type on bodiless DELETEs and GETs too: no body is no body, not an error.
  const json = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser(
    ['application/json', 'application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'],
    { parseAs: 'string' },
    (req, body, done) => (body === '' ? done(null, undefined) : json(req, body as string, done)),
  )
  app.addHook('onRequest', async (req, reply) => {
    const read = isRead(req.method, req.routeOptions.url)
    if (read && access.openReads) return
    const decided = await authorize(access.apiKeys, req.headers.authorization, read ? SCOPES : ['admin'])
    if (decided.ok) return
    if (decided.status === 401) reply.header('www-authenticate', 'Basic realm="pulse-registry", Bearer')
    const errorCode = decided.status === 403 ? 40301 : decided.status === 401 ? 401 : 50301
    return reply.code(decided.status).send({ error_code: errorCode, message: decided.status === 503 ? `${decided.message}; retry later` : decided.message })
  })
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

  const body = (b: SchemaBody | undefined): { schema: string; references: SchemaReference[] } => {
    if (!b || typeof b !== 'object') throw errors.badRequest('request body must be a JSON object with a "schema" string')
    if (b.schemaType !== undefined && b.schemaType !== null && b.schemaType !== 'AVRO') throw errors.unsupportedSchemaType(b.schemaType)
    if (typeof b.schema !== 'string') throw errors.invalidSchema('"schema" must be a string holding the Avro schema JSON')
    if (b.references !== undefined && b.references !== null && !Array.isArray(b.references)) throw errors.invalidSchema('"references" must be an array')
    return { schema: b.schema, references: (b.references as SchemaReference[] | undefined) ?? [] }
  }
  const versionBody = (v: SubjectVersion) => {
    const s = store.schemaById(v.id)
    return { subject: v.subject, version: v.version, id: v.id, schema: s.schema, ...(s.references.length ? { references: s.references } : {}) }
  }
  const schemaId = (raw: string): number => {
    const id = Number(raw)
    if (!Number.isInteger(id) || id < 1) throw errors.schemaNotFound(`Schema ${raw} not found`)
    return id
  }
  const on = (v: string | undefined) => v === 'true'

  type S = { Params: { subject: string }; Querystring: Flag }
  type SV = { Params: { subject: string; version: string }; Querystring: Flag }
  type Id = { Params: { id: string }; Querystring: Flag }

  app.get('/', async () => ({}))
  app.get('/schemas/types', async () => ['AVRO'])
  app.get<Id>('/schemas/ids/:id', async (req) => {
    const s = store.schemaById(schemaId(req.params.id))
    return { schema: s.schema, ...(s.references.length ? { references: s.references } : {}) }
  })
  app.get<Id>('/schemas/ids/:id/schema', async (req, reply) => reply.type(CONTENT_TYPE).send(store.schemaById(schemaId(req.params.id)).schema))
  app.get<Id>('/schemas/ids/:id/versions', async (req) =>
    store.subjectVersionsOf(schemaId(req.params.id), on(req.query.deleted)).map(({ subject, version }) => ({ subject, version })),
  )
  app.get<Id>('/schemas/ids/:id/subjects', async (req) => [
    ...new Set(store.subjectVersionsOf(schemaId(req.params.id), on(req.query.deleted)).map((v) => v.subject)),
  ])

  app.get<{ Querystring: Flag }>('/subjects', async (req) => store.subjectNames(on(req.query.deleted)))
  app.get<S>('/subjects/:subject/versions', async (req) => store.versions(req.params.subject, on(req.query.deleted)))
  app.post<S & { Body: SchemaBody }>('/subjects/:subject/versions', async (req) => {
    const { schema, references } = body(req.body)
    const { id, version } = req.body ?? {}
    const registered = store.register(req.params.subject, schema, {
      references,
      id: id === undefined || id === null ? undefined : (id as number),
      version: version === undefined || version === null ? undefined : (version as number),
    })
    return { id: registered.id }
  })
  app.post<S & { Body: SchemaBody }>('/subjects/:subject', async (req) => {
    const { schema, references } = body(req.body)
    return versionBody(store.lookup(req.params.subject, schema, references, on(req.query.deleted)))
  })
  app.delete<S>('/subjects/:subject', async (req) => store.deleteSubject(req.params.subject, on(req.query.permanent)))
  app.get<SV>('/subjects/:subject/versions/:version', async (req) =>
    versionBody(store.version(req.params.subject, req.params.version, on(req.query.deleted))),
  )
  app.get<SV>('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const v = store.version(req.params.subject, req.params.version, on(req.query.deleted))
    return reply.type(CONTENT_TYPE).send(store.schemaById(v.id).schema)
  })
  app.get<SV>('/subjects/:subject/versions/:version/referencedby', async (req) => store.referencedBy(req.params.subject, req.params.version))
  app.delete<SV>('/subjects/:subject/versions/:version', async (req) =>
    store.deleteVersion(req.params.subject, req.params.version, on(req.query.permanent)),
  )

  app.post<SV & { Body: SchemaBody }>('/compatibility/subjects/:subject/versions/:version', async (req) => {
    const { schema, references } = body(req.body)
    const reasons = store.checkCompatibility(req.params.subject, schema, req.params.version, references)
    return on(req.query.verbose) ? { is_compatible: reasons.length === 0, messages: reasons } : { is_compatible: reasons.length === 0 }
  })

  app.get('/config', async () => ({ compatibilityLevel: store.compatibility() }))
  app.put<{ Body: { compatibility?: unknown } }>('/config', async (req) => {
    const level = req.body?.compatibility
    if (!isCompatibilityLevel(level)) throw errors.invalidCompatibility(level)
    store.setCompatibility(null, level)
    return { compatibility: level }
  })
  app.delete('/config', async () => {
    const previous = store.compatibility()
    store.setCompatibility(null, null)
    return { compatibilityLevel: previous }
  })
  // A subject's config: Confluent's compatibilityLevel plus Pulse's unknownProperties (see UNKNOWN_PROPERTIES).
  const subjectConfig = (subject: string) => {
    const level = store.subjectCompatibility(subject)
    const unknownProperties = store.unknownPropertiesOf(subject)
    return level || unknownProperties ? { ...(level ? { compatibilityLevel: level } : {}), ...(unknownProperties ? { unknownProperties } : {}) } : undefined
  }
  app.get<S>('/config/:subject', async (req) => {
    const config = subjectConfig(req.params.subject)
    if (on(req.query.defaultToGlobal)) return { compatibilityLevel: store.compatibility(), ...config }
    if (config) return config
    throw errors.subjectConfigNotFound(req.params.subject)
  })
  app.put<S & { Body: { compatibility?: unknown; unknownProperties?: unknown } }>('/config/:subject', async (req) => {
    const level = req.body?.compatibility
    const unknownProperties = req.body?.unknownProperties
    if (unknownProperties !== undefined && !isUnknownProperties(unknownProperties)) throw errors.invalidUnknownProperties(unknownProperties)
    // A level is required unless the request only sets unknownProperties.
    if ((level !== undefined || unknownProperties === undefined) && !isCompatibilityLevel(level)) throw errors.invalidCompatibility(level)
    if (isCompatibilityLevel(level)) store.setCompatibility(req.params.subject, level)
    if (unknownProperties !== undefined) store.setUnknownProperties(req.params.subject, unknownProperties)
    return { ...(level !== undefined ? { compatibility: level } : {}), ...(unknownProperties !== undefined ? { unknownProperties } : {}) }
  })
  app.delete<S>('/config/:subject', async (req) => {
    const previous = subjectConfig(req.params.subject)
    if (!previous) throw errors.subjectConfigNotFound(req.params.subject)
    if (previous.compatibilityLevel) store.setCompatibility(req.params.subject, null)
    if (previous.unknownProperties) store.setUnknownProperties(req.params.subject, null)
    return previous
  })

  app.get('/mode', async () => ({ mode: store.mode() }))
  app.put<{ Body: { mode?: unknown }; Querystring: Flag }>('/mode', async (req) => {
    const mode = req.body?.mode
    if (!isMode(mode)) throw errors.invalidMode(mode)
    store.setMode(null, mode, on(req.query.force))
    return { mode }
  })
  app.get<S>('/mode/:subject', async (req) => {
    const mode = store.subjectModeOf(req.params.subject)
    if (mode) return { mode }
    if (on(req.query.defaultToGlobal)) return { mode: store.mode() }
    throw errors.subjectModeNotFound(req.params.subject)
  })
  app.put<S & { Body: { mode?: unknown } }>('/mode/:subject', async (req) => {
    const mode = req.body?.mode
    if (!isMode(mode)) throw errors.invalidMode(mode)
    store.setMode(req.params.subject, mode, on(req.query.force))
    return { mode }
  })
  app.delete<S>('/mode/:subject', async (req) => {
    const previous = store.subjectModeOf(req.params.subject)
    if (!previous) throw errors.subjectModeNotFound(req.params.subject)
    store.setMode(req.params.subject, null)
    return { mode: previous }
  })

  return app
}
