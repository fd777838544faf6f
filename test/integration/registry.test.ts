import { SchemaType } from '@kafkajs/confluent-schema-registry'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createRegistryServer, schemaRegistryClient, SchemaStore } from '../../registry/index.js'
import { adminAuthorization, adminFetch, testRegistryAccess } from '../support/registry-access.js'
import { tempDir } from '../support/fixtures.js'

const v1 = { type: 'record', name: 'SeatsUpdated', namespace: 'dev.pulse.events', fields: [{ name: 'purchased', type: 'int' }] }
const v2 = { ...v1, fields: [...v1.fields, { name: 'active', type: 'int', default: 0 }] }
const breaking = { ...v1, fields: [...v1.fields, { name: 'plan', type: 'string' }] }

describe('registry with the Confluent client', () => {
  let server: FastifyInstance | undefined
  let store: SchemaStore | undefined
  const open = async (dir: string) => {
    store = SchemaStore.open(dir)
    server = createRegistryServer({ store, access: testRegistryAccess() })
    await server.listen({ host: '127.0.0.1', port: 0 })
    const { port } = server.server.address() as { port: number }
    return { url: `http://127.0.0.1:${port}`, client: schemaRegistryClient({ url: `http://127.0.0.1:${port}`, authorization: adminAuthorization }) }
  }
  afterEach(async () => {
    await server?.close()
    store?.close()
  })

  it('registers, looks up, encodes and decodes like a Confluent registry', async () => {
    const { client } = await open(tempDir())
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'seats_updated' })
    expect(id).toBe(1)
    expect(await client.getLatestSchemaId('seats_updated')).toBe(1)
    expect(await client.getRegistryId('seats_updated', 1)).toBe(1)
    // Whitespace and doc do not make a new schema.
    const pretty = JSON.stringify({ ...v1, doc: 'seats changed' }, null, 2)
    expect(await client.getRegistryIdBySchema('seats_updated', { type: SchemaType.AVRO, schema: pretty })).toBe(1)
    expect((await client.register({ type: SchemaType.AVRO, schema: pretty }, { subject: 'seats_updated' })).id).toBe(1)

    const { id: id2 } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: 'seats_updated' })
    expect(id2).toBe(2)
    const encoded = await client.encode(id2, { purchased: 10, active: 7 })
    expect(encoded[0]).toBe(0)
    expect(encoded.readUInt32BE(1)).toBe(2)
    expect(await client.decode(encoded)).toEqual({ purchased: 10, active: 7 })
  })

  it('takes a union default on a later branch, as Avro 1.12 does, and the client encodes with it', async () => {
    const { client } = await open(tempDir())
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'seats_updated' })
    const withSeats = { ...v1, fields: [...v1.fields, { name: 'seats', type: ['null', 'int'], default: 5 }, { name: 'plan', type: ['string', 'null'], default: null }] }
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(withSeats) }, { subject: 'seats_updated' })
    expect(await client.decode(await client.encode(id, { purchased: 3, seats: 5, plan: null }))).toEqual({ purchased: 3, seats: 5, plan: null })
  })

  it('answers with Confluent error codes and the reason a schema is incompatible', async () => {
    const { url, client } = await open(tempDir())
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 's' })
    const post = (path: string, body: unknown) =>
      adminFetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify(body) })

    const conflict = await post('/subjects/s/versions', { schema: JSON.stringify(breaking) })
    expect(conflict.status).toBe(409)
    const body = await conflict.json()
    expect(body.error_code).toBe(409)
    expect(body.message).toMatch(/version 1/)
    expect(body.message).toMatch(/plan/)

    const verbose = await post('/compatibility/subjects/s/versions/latest?verbose=true', { schema: JSON.stringify(breaking) })
    expect(await verbose.json()).toMatchObject({ is_compatible: false, messages: [expect.stringMatching(/plan/)] })

    const invalid = await post('/subjects/s/versions', { schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' })
    expect(invalid.status).toBe(422)
    expect((await invalid.json()).error_code).toBe(42201)

    expect((await (await adminFetch(`${url}/subjects/missing/versions/latest`)).json()).error_code).toBe(40401)
    expect((await (await adminFetch(`${url}/subjects/s/versions/9`)).json()).error_code).toBe(40402)
    expect((await (await adminFetch(`${url}/subjects/s/versions/zero`)).json()).error_code).toBe(42202)
    expect((await (await adminFetch(`${url}/schemas/ids/99`)).json()).error_code).toBe(40403)
    const bad = await adminFetch(`${url}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"compatibility":"SIDEWAYS"}' })
    expect((await bad.json()).error_code).toBe(42203)
    const unknownRoute = await adminFetch(`${url}/no/such/route`)
    expect(unknownRoute.status).toBe(404)
    expect(await unknownRoute.json()).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' })
  })

  it('keeps ids, versions and config across a restart', async () => {
    const dir = tempDir()
    let { url, client } = await open(dir)
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'a' })
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: 'a' })
    await adminFetch(`${url}/config/a`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"compatibility":"FULL"}' })
    await adminFetch(`${url}/config/b`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"unknownProperties":"REPORT"}' })
    await server!.close()
    store!.close()

    ;({ url, client } = await open(dir))
    expect(await client.getLatestSchemaId('a')).toBe(2)
    expect(await (await adminFetch(`${url}/subjects/a/versions`)).json()).toEqual([1, 2])
    expect(await (await adminFetch(`${url}/config/a`)).json()).toEqual({ compatibilityLevel: 'FULL' })
    expect(await (await adminFetch(`${url}/config/b`)).json()).toEqual({ unknownProperties: 'REPORT' })
    // The same schema under another subject shares its global id; a new one takes the next id.
    const other = await adminFetch(`${url}/subjects/b/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: JSON.stringify(v1) }) })
    expect(await other.json()).toEqual({ id: 1 })
    const fresh = await adminFetch(`${url}/subjects/c/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: '"string"' }) })
    expect(await fresh.json()).toEqual({ id: 3 })
  })

  it('never hands out two ids for one schema under concurrent registration', async () => {
    const { url } = await open(tempDir())
    const schemas = Array.from({ length: 5 }, (_, i) => JSON.stringify({ type: 'record', name: `R${i}`, fields: [{ name: 'x', type: 'int' }] }))
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        adminFetch(`${url}/subjects/sub${i % 5}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: schemas[i % 5] }) }).then((r) => r.json()),
      ),
    )
    const idsBySchema = new Map<number, Set<number>>()
    results.forEach((r, i) => idsBySchema.set(i % 5, (idsBySchema.get(i % 5) ?? new Set()).add(r.id)))
    expect([...idsBySchema.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1])
    expect(new Set(results.map((r) => r.id)).size).toBe(5)
  })

  it("keeps Pulse's unknownProperties setting in a subject's config, beside Confluent's compatibility level", async () => {
    const { url } = await open(tempDir())
    const put = (subject: string, body: unknown) => adminFetch(`${url}/config/${subject}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect(await (await put('e', { unknownProperties: 'REPORT' })).json()).toEqual({ unknownProperties: 'REPORT' })
    expect(await (await adminFetch(`${url}/config/e`)).json()).toEqual({ unknownProperties: 'REPORT' })
    expect(await (await adminFetch(`${url}/config/e?defaultToGlobal=true`)).json()).toEqual({ compatibilityLevel: 'BACKWARD', unknownProperties: 'REPORT' })
    // Setting the level leaves the other setting alone, and the other way round.
    expect(await (await put('e', { compatibility: 'FULL' })).json()).toEqual({ compatibility: 'FULL' })
    expect(await (await adminFetch(`${url}/config/e`)).json()).toEqual({ compatibilityLevel: 'FULL', unknownProperties: 'REPORT' })
    const bad = await put('e', { unknownProperties: 'IGNORE' })
    expect(bad.status).toBe(422)
    expect(await bad.json()).toMatchObject({ error_code: 42203, message: expect.stringContaining('REJECT') })
    expect((await (await put('e', {})).json()).error_code).toBe(42203)
    // Nothing of a refused request was written.
    expect(await (await adminFetch(`${url}/config/e`)).json()).toEqual({ compatibilityLevel: 'FULL', unknownProperties: 'REPORT' })
    const removed = await adminFetch(`${url}/config/e`, { method: 'DELETE' })
    expect(await removed.json()).toEqual({ compatibilityLevel: 'FULL', unknownProperties: 'REPORT' })
    expect((await (await adminFetch(`${url}/config/e`)).json()).error_code).toBe(40408)
  })
})
