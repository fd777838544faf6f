import type { FastifyInstance } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { exportRegistry, importRegistry } from '../../cli/registry.js'
import { createRegistryServer, SchemaStore } from '../../registry/index.js'
import { adminAuthorization, testRegistryAccess } from '../support/registry-access.js'
import { parseRegistryExport } from '../../registry/transfer.js'
import { tempDir } from '../support/fixtures.js'

const servers: { server: FastifyInstance; store: SchemaStore }[] = []
async function registry() {
  const store = SchemaStore.open(tempDir())
  const server = createRegistryServer({ store, access: testRegistryAccess() })
  await server.listen({ host: '127.0.0.1', port: 0 })
  servers.push({ server, store })
  return { store, url: `http://127.0.0.1:${(server.server.address() as { port: number }).port}` }
}
afterAll(async () => {
  for (const { server, store } of servers) {
    await server.close()
    store.close()
  }
})

const rec = (name: string, fields: unknown[]) => JSON.stringify({ type: 'record', name, namespace: 'dev.pulse', fields })
const comparable = (e: Awaited<ReturnType<typeof exportRegistry>>) => ({ ...e, exportedAt: undefined })

describe('pulse registry export / import', () => {
  it('moves a whole registry, ids, versions, deletions, references and settings kept', async () => {
    const a = await registry()
    a.store.register('address', rec('Address', [{ name: 'city', type: 'string' }]))
    a.store.register('noise', rec('Noise', [{ name: 'n', type: 'int' }]))
    a.store.register('customer', rec('Customer', [{ name: 'home', type: 'dev.pulse.Address' }]), { references: [{ name: 'dev.pulse.Address', subject: 'address', version: 1 }] })
    a.store.register('seats', rec('Seats', [{ name: 'purchased', type: 'int' }]))
    a.store.register('seats', rec('Seats', [{ name: 'purchased', type: 'int' }, { name: 'active', type: 'int', default: 0 }]))
    a.store.deleteVersion('seats', '1', false)
    a.store.deleteSubject('noise', false)
    a.store.deleteSubject('noise', true)
    a.store.setCompatibility('seats', 'FULL')
    a.store.setCompatibility(null, 'FORWARD')
    a.store.setMode('address', 'READONLY')
    a.store.setUnknownProperties('customer', 'REPORT')
    const exported = await exportRegistry({ url: a.url, authorization: adminAuthorization })
    expect(exported.subjects.map((s) => s.subject)).toEqual(['address', 'customer', 'seats'])
    expect(exported.subjects[1]).toMatchObject({ subject: 'customer', unknownProperties: 'REPORT' })
    expect(exported.subjects[1]).not.toHaveProperty('compatibility')

    const b = await registry()
    expect(await importRegistry({ url: b.url, authorization: adminAuthorization }, exported)).toBe(4)
    expect(comparable(await exportRegistry({ url: b.url, authorization: adminAuthorization }))).toEqual(comparable(exported))
    // Fresh registrations continue after the highest imported id, never reusing the deleted one (2).
    expect(b.store.register('other', rec('Other', [{ name: 'x', type: 'int' }])).id).toBe(6)
    expect(() => b.store.schemaById(2)).toThrow(/not found/)
  })

  it('refuses to import over existing subjects unless forced', async () => {
    const c = await registry()
    c.store.register('x', rec('X', [{ name: 'x', type: 'int' }]))
    const exp = parseRegistryExport(JSON.stringify([{ subject: 'y', version: 1, id: 7, schema: rec('Y', [{ name: 'y', type: 'int' }]) }]))
    await expect(importRegistry({ url: c.url, authorization: adminAuthorization }, exp)).rejects.toThrow(/42205|existing subjects/)
    expect(await importRegistry({ url: c.url, authorization: adminAuthorization }, exp, { force: true })).toBe(1)
    expect(c.store.version('y', '1').id).toBe(7)
    expect(c.store.mode()).toBe('READWRITE')
  })

  it("reads a Confluent registry's _schemas topic records, latest record per key winning", async () => {
    const s1 = rec('A', [{ name: 'a', type: 'int' }])
    const s2 = rec('A', [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 0 }])
    const lines = [
      { key: { keytype: 'SCHEMA', subject: 'a', version: 1, magic: 1 }, value: { subject: 'a', version: 1, id: 21, schema: s1, deleted: false } },
      { key: { keytype: 'SCHEMA', subject: 'a', version: 2, magic: 1 }, value: { subject: 'a', version: 2, id: 22, schema: s2, deleted: false } },
      { key: { keytype: 'CONFIG', subject: 'a', magic: 0 }, value: { compatibilityLevel: 'FULL' } },
      { key: { keytype: 'SCHEMA', subject: 'a', version: 1, magic: 1 }, value: { subject: 'a', version: 1, id: 21, schema: s1, deleted: true } },
      { key: { keytype: 'NOOP', magic: 0 }, value: null },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n')
    const exp = parseRegistryExport(lines.replace('"NOOP"', '"CONFIG"'))
    expect(exp.subjects).toEqual([
      { subject: 'a', compatibility: 'FULL', versions: [
        { version: 1, id: 21, schema: s1, references: undefined, deleted: true },
        { version: 2, id: 22, schema: s2, references: undefined, deleted: false },
      ] },
    ])
    const d = await registry()
    await importRegistry({ url: d.url, authorization: adminAuthorization }, exp)
    expect(d.store.versions('a')).toEqual([2])
    expect(d.store.versions('a', true)).toEqual([1, 2])
    expect(d.store.compatibility('a')).toBe('FULL')
  })
})
