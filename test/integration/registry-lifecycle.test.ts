import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createRegistryServer, schemaRegistryClient, SchemaStore } from '../../registry/index.js'
import { adminAuthorization, adminFetch, testRegistryAccess } from '../support/registry-access.js'
import { tempDir } from '../support/fixtures.js'

const schemaOf = (name: string, fields: unknown[] = [{ name: 'x', type: 'int' }]) => JSON.stringify({ type: 'record', name, fields })

describe('registry lifecycle: deletes, modes, references, import', () => {
  let server: FastifyInstance | undefined
  let store: SchemaStore | undefined
  let url = ''
  const open = async (dir: string) => {
    store = SchemaStore.open(dir)
    server = createRegistryServer({ store, access: testRegistryAccess() })
    await server.listen({ host: '127.0.0.1', port: 0 })
    url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
  }
  const close = async () => {
    await server?.close()
    store?.close()
    server = undefined
  }
  afterEach(close)
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await adminFetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() }
  }

  it('soft-deletes, then deletes permanently, with Confluent codes at each wrong step', async () => {
    await open(tempDir())
    expect((await call('POST', '/subjects/s/versions', { schema: schemaOf('A') })).body).toEqual({ id: 1 })
    expect((await call('POST', '/subjects/s/versions', { schema: schemaOf('A', [{ name: 'x', type: 'long' }]) })).body).toEqual({ id: 2 })

    expect((await call('DELETE', '/subjects/s/versions/1?permanent=true')).body.error_code).toBe(40407)
    expect((await call('DELETE', '/subjects/s/versions/1')).body).toBe(1)
    expect((await call('DELETE', '/subjects/s/versions/1')).body.error_code).toBe(40406)
    expect((await call('GET', '/subjects/s/versions')).body).toEqual([2])
    expect((await call('GET', '/subjects/s/versions?deleted=true')).body).toEqual([1, 2])
    expect((await call('GET', '/subjects/s/versions/1')).body.error_code).toBe(40402)
    expect((await call('GET', '/subjects/s/versions/1?deleted=true')).body).toMatchObject({ version: 1, id: 1 })
    // Consumers can still decode old data written with a soft-deleted schema.
    expect((await call('GET', '/schemas/ids/1')).status).toBe(200)

    expect((await call('DELETE', '/subjects/s?permanent=true')).body.error_code).toBe(40405)
    expect((await call('DELETE', '/subjects/s')).body).toEqual([2])
    expect((await call('DELETE', '/subjects/s')).body.error_code).toBe(40404)
    expect((await call('GET', '/subjects')).body).toEqual([])
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(['s'])
    expect((await call('DELETE', '/subjects/s?permanent=true')).body).toEqual([1, 2])
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual([])
    expect((await call('GET', '/schemas/ids/1')).body.error_code).toBe(40403)
  })

  it('never brings a permanently deleted schema or its id back, even after a restart', async () => {
    const dir = tempDir()
    await open(dir)
    await call('POST', '/subjects/gone/versions', { schema: schemaOf('Gone') })
    await call('DELETE', '/subjects/gone')
    await call('DELETE', '/subjects/gone?permanent=true')
    await close()

    await open(dir)
    expect((await call('GET', '/schemas/ids/1')).body.error_code).toBe(40403)
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual([])
    // Registering it again mints a new id: 1 is never reused.
    expect((await call('POST', '/subjects/gone/versions', { schema: schemaOf('Gone') })).body).toEqual({ id: 2 })
  })

  it('enforces READONLY and IMPORT modes', async () => {
    await open(tempDir())
    expect((await call('GET', '/mode')).body).toEqual({ mode: 'READWRITE' })
    expect((await call('PUT', '/mode', { mode: 'SLEEPY' })).body.error_code).toBe(42204)
    expect((await call('GET', '/mode/s')).body.error_code).toBe(40409)
    expect((await call('PUT', '/mode/s', { mode: 'READONLY' })).body).toEqual({ mode: 'READONLY' })
    const refused = await call('POST', '/subjects/s/versions', { schema: schemaOf('A') })
    expect(refused.status).toBe(422)
    expect(refused.body.error_code).toBe(42205)
    expect((await call('DELETE', '/mode/s')).body).toEqual({ mode: 'READONLY' })

    // An id may only be chosen in IMPORT mode, which needs an empty registry unless forced.
    expect((await call('POST', '/subjects/s/versions', { schema: schemaOf('A'), id: 40 })).body.error_code).toBe(42205)
    await call('POST', '/subjects/t/versions', { schema: schemaOf('T') })
    expect((await call('PUT', '/mode', { mode: 'IMPORT' })).body.error_code).toBe(42205)
    expect((await call('PUT', '/mode?force=true', { mode: 'IMPORT' })).body).toEqual({ mode: 'IMPORT' })
    expect((await call('POST', '/subjects/s/versions', { schema: schemaOf('A'), id: 40, version: 3 })).body).toEqual({ id: 40 })
    expect((await call('GET', '/subjects/s/versions/3')).body).toMatchObject({ id: 40, version: 3 })
    expect((await call('POST', '/subjects/u/versions', { schema: schemaOf('Other'), id: 40 })).body.error_code).toBe(40901)
    await call('PUT', '/mode', { mode: 'READWRITE' })
    // New ids continue after the highest imported one.
    expect((await call('POST', '/subjects/v/versions', { schema: schemaOf('V') })).body).toEqual({ id: 41 })
  })

  it('resolves schema references, refuses to delete what is referenced, and the client encodes through them', async () => {
    await open(tempDir())
    const address = JSON.stringify({ type: 'record', name: 'Address', namespace: 'dev.pulse', fields: [{ name: 'city', type: 'string' }] })
    await call('POST', '/subjects/address/versions', { schema: address })
    const customer = JSON.stringify({ type: 'record', name: 'Customer', namespace: 'dev.pulse', fields: [{ name: 'home', type: 'dev.pulse.Address' }] })
    const references = [{ name: 'dev.pulse.Address', subject: 'address', version: 1 }]
    expect((await call('POST', '/subjects/customer/versions', { schema: customer })).body.error_code).toBe(42201)
    const { body } = await call('POST', '/subjects/customer/versions', { schema: customer, references })
    expect(body).toEqual({ id: 2 })
    expect((await call('GET', '/subjects/customer/versions/1')).body.references).toEqual(references)
    expect((await call('GET', '/subjects/address/versions/1/referencedby')).body).toEqual([2])
    const blocked = await call('DELETE', '/subjects/address/versions/1')
    expect(blocked.body.error_code).toBe(42206)

    const client = schemaRegistryClient({ url: url, authorization: adminAuthorization })
    const encoded = await client.encode(2, { home: { city: 'Lyon' } })
    expect(await client.decode(encoded)).toEqual({ home: { city: 'Lyon' } })
    // Lookup over REST (the kafkajs client's getRegistryIdBySchema does not send references).
    expect((await call('POST', '/subjects/customer', { schema: customer, references })).body).toMatchObject({ id: 2, version: 1 })
  })

  it('answers 40408 for a subject without its own level, and 50001 when the store cannot write', async () => {
    await open(tempDir())
    await call('POST', '/subjects/s/versions', { schema: schemaOf('A') })
    expect((await call('GET', '/config/s')).body.error_code).toBe(40408)
    expect((await call('GET', '/config/s?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' })
    store!.close()
    const failed = await call('POST', '/subjects/s/versions', { schema: schemaOf('A', [{ name: 'x', type: 'int' }, { name: 'y', type: 'int', default: 0 }]) })
    expect(failed).toEqual({ status: 500, body: { error_code: 50001, message: 'Error in the backend data store' } })
    // Nothing half-written: the refused version is not visible.
    expect((await call('GET', '/subjects/s/versions')).body).toEqual([1])
  })

  it('answers unknown routes and methods cleanly', async () => {
    await open(tempDir())
    for (const [method, path] of [['GET', '/nope'], ['PATCH', '/subjects'], ['DELETE', '/schemas/types']]) {
      const res = await call(method, path)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' })
    }
  })
})

describe('every compatibility level over REST, on a nested union change', () => {
  const buyer = (fields: unknown[]) => ({ type: 'record', name: 'Buyer', fields })
  const order = (buyerFields: unknown[], extra: unknown[] = []) =>
    JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'buyer', type: ['null', buyer(buyerFields)], default: null }, ...extra] })
  const v1 = order([{ name: 'email', type: 'string' }])
  const v2 = order([{ name: 'email', type: 'string' }, { name: 'vip', type: 'boolean', default: false }])
  // Compatible with v2 both ways, but it drops `vip`'s sibling `email` default-less field that v1 readers need.
  const v3 = order([{ name: 'vip', type: 'boolean', default: false }], [{ name: 'note', type: ['null', 'string'], default: null }])

  const expected: Record<string, boolean> = {
    NONE: true,
    BACKWARD: true, // v3 reads v2: email ignored, vip present
    FORWARD: false, // v2 reads v3: email missing without default
    FULL: false,
    BACKWARD_TRANSITIVE: true,
    FORWARD_TRANSITIVE: false,
    FULL_TRANSITIVE: false,
  }

  for (const [level, compatible] of Object.entries(expected)) {
    it(`${level}: ${compatible ? 'accepts' : 'refuses with reasons'}`, async () => {
      const store = SchemaStore.open()
      const server = createRegistryServer({ store, access: testRegistryAccess() })
      await server.listen({ host: '127.0.0.1', port: 0 })
      const url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
      const post = (path: string, body: unknown) =>
        adminFetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }))
      try {
        await adminFetch(`${url}/config/o`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ compatibility: level }) })
        expect((await post('/subjects/o/versions', { schema: v1 })).status).toBe(200)
        expect((await post('/subjects/o/versions', { schema: v2 })).status).toBe(200)
        const check = await post('/compatibility/subjects/o/versions/latest?verbose=true', { schema: v3 })
        expect(check.body.is_compatible).toBe(compatible)
        const res = await post('/subjects/o/versions', { schema: v3 })
        if (compatible) expect(res).toEqual({ status: 200, body: { id: 3 } })
        else {
          expect(res.status).toBe(409)
          expect(res.body.message).toContain('properties.buyer.email: field removed, and version 2 has no default for it — consumers on version 2 can no longer read new events')
          if (level.endsWith('_TRANSITIVE')) expect(res.body.message).toContain('version 1')
        }
      } finally {
        await server.close()
      }
    })
  }
})
