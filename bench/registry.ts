// Registry costs, as ratios against parsing the same schema with avsc in the same process.
// Run: node --import tsx bench/registry.ts
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import avro from 'avsc'
import { compatibilityReasons } from '../registry/compatibility.js'
import { createRegistryServer, schemaRegistryClient, SchemaStore } from '../registry/index.js'
import { ApiKeys, bearer, generateApiKey } from '../runtime/auth/index.js'

function record(n: number) {
  return {
    type: 'record',
    name: 'SubscriptionUpdated',
    namespace: 'dev.pulse.events',
    fields: [
      { name: 'plan', type: 'string' },
      { name: 'mrrCents', type: 'long' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['ACTIVE', 'CANCELED', 'UNKNOWN'], default: 'UNKNOWN' } },
      ...Array.from({ length: n }, (_, i) => ({ name: `extra${i}`, type: ['null', 'string'], default: null })),
    ],
  }
}

/** Mean microseconds per call over enough iterations to last ~`ms` milliseconds. */
async function time(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  for (let i = 0; i < 50; i++) await fn()
  let n = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 20; i++) await fn()
    n += 20
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

const store = SchemaStore.open()
for (let v = 0; v < 100; v++) store.register('subscription_updated', JSON.stringify(record(v)))
const secret = generateApiKey('bench').secret
const server = createRegistryServer({ store, access: { apiKeys: new ApiKeys(undefined, 'bench', new Map([['bench', { secret, scopes: ['admin'] }]])) } })
await server.listen({ host: '127.0.0.1', port: 0 })
const url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
const client = schemaRegistryClient({ url, authorization: bearer(secret) })

const latest = JSON.stringify(record(99))
const candidate = record(100)
const history = store.versions('subscription_updated').map((v) => ({ version: v, type: avro.Type.forSchema(record(v - 1) as avro.Schema) }))
const latestId = store.version('subscription_updated', 'latest').id

const parse = await time(() => avro.Type.forSchema(candidate as avro.Schema))
const firstLookup = await (async () => {
  const fresh = () => schemaRegistryClient({ url, authorization: bearer(secret) })
  return time(() => fresh().getSchema(latestId), 1000)
})()
const cachedLookup = await time(() => client.getSchema(latestId))
const registerKnown = await time(() => client.register({ type: SchemaType.AVRO, schema: latest }, { subject: 'subscription_updated' }))
const candidateType = avro.Type.forSchema(candidate as avro.Schema)
const checkTransitive = await time(() => compatibilityReasons('FULL_TRANSITIVE', candidateType, history))
const checkLatest = await time(() => compatibilityReasons('FULL', candidateType, history))

await server.close()
const rows = [
  ['parse the schema with avsc (baseline)', parse],
  ['getSchema(id), first use (HTTP to the registry)', firstLookup],
  ['getSchema(id), cached in process', cachedLookup],
  ['register an already-known schema (HTTP round trip)', registerKnown],
  ['FULL compatibility check against the latest version', checkLatest],
  ['FULL_TRANSITIVE check against 100 versions', checkTransitive],
] as const
console.log('| operation | µs per call | × parse |\n| --- | ---: | ---: |')
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(1)} | ${(us / parse).toFixed(2)} |`)
