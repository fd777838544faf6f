import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRegistryServer, SchemaStore } from '../../registry/index.js'
import { ApiKeys, basic, bearer } from '../../runtime/auth/index.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { uniqueName } from '../support/fixtures.js'
import { pythonSupportFile, pythonTools } from '../support/python.js'

const schema = JSON.stringify({ type: 'record', name: 'SeatsUpdated', namespace: 'dev.pulse.events', fields: [{ name: 'purchased', type: 'int' }] })
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

describe('registry access: Basic and Bearer keys, admin for writes (real Redis for stored keys)', () => {
  const redis = new Redis(inject('redisUrl'))
  const secrets = { admin: 'admin-secret-1', tracker: 'tracker-secret-1' }
  const apiKeys = new ApiKeys(redis, uniqueName('registry-keys'), new Map([
    ['ops', { secret: secrets.admin, scopes: ['admin'] }],
    ['tracker', { secret: secrets.tracker, scopes: ['track'] }],
  ]), 0)
  const servers: { app: FastifyInstance; store: SchemaStore }[] = []
  let url = ''
  let openUrl = ''
  const start = async (openReads: boolean) => {
    const store = SchemaStore.open()
    const app = createRegistryServer({ store, access: { apiKeys, openReads } })
    servers.push({ app, store })
    return app.listen({ host: '127.0.0.1', port: 0 })
  }
  /** One request: status, body and the WWW-Authenticate header. */
  const call = async (base: string, method: string, path: string, opts: { authorization?: string; body?: unknown; contentType?: string } = {}) => {
    const headers: Record<string, string> = {}
    if (opts.authorization) headers.authorization = opts.authorization
    if (opts.contentType ?? (opts.body !== undefined ? CONTENT_TYPE : undefined)) headers['content-type'] = opts.contentType ?? CONTENT_TYPE
    const res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) })
    return { status: res.status, body: await res.json().catch(() => null), challenge: res.headers.get('www-authenticate') }
  }

  beforeAll(async () => {
    url = await start(false)
    openUrl = await start(true)
    for (const base of [url, openUrl]) expect((await call(base, 'POST', '/subjects/seats/versions', { authorization: bearer(secrets.admin), body: { schema } })).status).toBe(200)
  })
  afterAll(async () => {
    for (const { app, store } of servers) {
      await app.close()
      store.close()
    }
    redis.disconnect()
  })

  it('refuses every request without a valid key: 401 with Confluent\'s error body and a Basic challenge', async () => {
    for (const authorization of [undefined, bearer('not-a-key'), basic('ops:wrong-secret'), basic(`tracker:${secrets.admin}`)]) {
      for (const [method, path, body] of [['GET', '/subjects'], ['GET', '/schemas/ids/1'], ['POST', '/subjects/seats', { schema }], ['POST', '/subjects/seats/versions', { schema }], ['DELETE', '/subjects/seats']] as const) {
        const r = await call(url, method, path, { authorization, body })
        expect(r.status, `${method} ${path} with ${authorization}`).toBe(401)
        expect(r.body).toEqual({ error_code: 401, message: expect.stringMatching(/^an API key is required|^the API key is not valid/) })
        expect(r.challenge).toBe('Basic realm="pulse-registry", Bearer')
      }
    }
  })

  it('lets any valid key read (GETs, lookups, compatibility checks) and only admin write (403, error_code 40301)', async () => {
    const tracker = bearer(secrets.tracker)
    expect(await call(url, 'GET', '/subjects', { authorization: tracker })).toMatchObject({ status: 200, body: ['seats'] })
    expect(await call(url, 'POST', '/subjects/seats', { authorization: tracker, body: { schema } })).toMatchObject({ status: 200, body: { version: 1 } })
    expect(await call(url, 'POST', '/compatibility/subjects/seats/versions/latest', { authorization: tracker, body: { schema } })).toMatchObject({ status: 200, body: { is_compatible: true } })
    for (const [method, path, body] of [['POST', '/subjects/other/versions', { schema }], ['PUT', '/config', { compatibility: 'FULL' }], ['PUT', '/mode/seats', { mode: 'READONLY' }], ['DELETE', '/subjects/seats']] as const) {
      const r = await call(url, method, path, { authorization: tracker, body })
      expect(r.status, `${method} ${path}`).toBe(403)
      expect(r.body).toEqual({ error_code: 40301, message: 'API key "tracker" may not do this: it needs the admin scope' })
    }
    expect((await call(url, 'GET', '/subjects', { authorization: tracker })).body).toEqual(['seats'])
  })

  it('with open reads, answers reads without a key and still wants admin for writes', async () => {
    expect(await call(openUrl, 'GET', '/subjects/seats/versions/latest')).toMatchObject({ status: 200, body: { version: 1, id: 1 } })
    expect(await call(openUrl, 'POST', '/subjects/seats', { body: { schema } })).toMatchObject({ status: 200 })
    expect((await call(openUrl, 'POST', '/subjects/other/versions', { body: { schema } })).status).toBe(401)
    expect((await call(openUrl, 'POST', '/subjects/other/versions', { authorization: bearer(secrets.tracker), body: { schema } })).status).toBe(403)
  })

  it('takes keys made at run time (in Redis) until they are revoked', async () => {
    const name = uniqueName('ci')
    const { secret } = await apiKeys.create(name, null, ['admin'])
    expect((await call(url, 'PUT', '/config/seats', { authorization: basic(`${name}:${secret}`), body: { compatibility: 'FULL' } })).status).toBe(200)
    await apiKeys.revoke(name)
    expect((await call(url, 'GET', '/config/seats', { authorization: basic(`${name}:${secret}`) })).status).toBe(401)
  })

  it('serves a bodiless DELETE or GET that carries Confluent\'s content type, as its Java client sends them', async () => {
    const admin = bearer(secrets.admin)
    expect((await call(url, 'POST', '/subjects/doomed/versions', { authorization: admin, body: { schema } })).status).toBe(200)
    expect(await call(url, 'GET', '/subjects/doomed/versions', { authorization: admin, contentType: CONTENT_TYPE })).toMatchObject({ status: 200, body: [1] })
    expect(await call(url, 'DELETE', '/subjects/doomed/versions/1', { authorization: admin, contentType: CONTENT_TYPE })).toMatchObject({ status: 200, body: 1 })
    // Its only version soft-deleted, the subject answers as Confluent's does: 40404, "was soft deleted".
    expect(await call(url, 'DELETE', '/subjects/doomed', { authorization: admin, contentType: 'application/json' })).toMatchObject({ status: 404, body: { error_code: 40404 } })
    // A POST that needs a body still says so.
    expect(await call(url, 'POST', '/subjects/doomed/versions', { authorization: admin, contentType: CONTENT_TYPE })).toMatchObject({ status: 422, body: { error_code: 42201, message: expect.stringContaining('request body must be a JSON object') } })
  })

  it('works with @kafkajs/confluent-schema-registry configured with Basic auth (key name and secret)', async () => {
    const client = new SchemaRegistry({ host: url, auth: { username: 'ops', password: secrets.admin } })
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Plan', fields: [{ name: 'tier', type: 'string' }] }) }, { subject: 'plan' })
    const encoded = await client.encode(id, { tier: 'pro' })
    expect(await new SchemaRegistry({ host: url, auth: { username: 'tracker', password: secrets.tracker } }).decode(encoded)).toEqual({ tier: 'pro' })
    const reader = new SchemaRegistry({ host: url, auth: { username: 'tracker', password: secrets.tracker } })
    await expect(reader.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Note', fields: [{ name: 'text', type: 'string' }] }) }, { subject: 'plan_note' })).rejects.toThrow(/40301|may not do this/)
    await expect(new SchemaRegistry({ host: url, auth: { username: 'ops', password: 'wrong' } }).getLatestSchemaId('plan')).rejects.toThrow(/401|API key/)
  })
  it("works with Confluent's Python client (confluent-kafka) configured with basic.auth.user.info", async () => {
    const { python } = pythonTools()
    const run = async (userInfo: string, subject: string) => {
      const { stdout } = await promisify(execFile)(python, [pythonSupportFile('confluent_registry_client.py'), url, userInfo, subject], { timeout: 60_000 })
      return JSON.parse(stdout.trim().split('\n').at(-1)!)
    }
    // Registers, reads back by id and as the latest version, and deletes the subject (a bodiless DELETE with its content type).
    const done = await run(`ops:${secrets.admin}`, 'plan_changed')
    expect(done).toMatchObject({ ok: true, fetched: { type: 'record', name: 'PlanChanged' }, latestVersion: 1, deleted: [1] })
    expect(done.latestId).toBe(done.id)
    expect(await run(`tracker:${secrets.tracker}`, 'plan_changed')).toEqual({ ok: false, status: 403, errorCode: 40301, message: 'API key "tracker" may not do this: it needs the admin scope' })
    expect(await run('ops:wrong-secret', 'plan_changed')).toMatchObject({ ok: false, status: 401, errorCode: 401 })
  })
})
