import { Ajv2020 } from 'ajv/dist/2020.js'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { buildOpenApi, type CatalogEvent } from '../../gateway/openapi.js'
import { DEFAULT_LIMITS, parseTimestamp, parseTrackRequest } from '../../gateway/track-request.js'
import { findViolations } from '../../gateway/violations.js'
import { readCatalog } from '../../schemas/index.js'

const NOW = Date.parse('2026-11-22T12:00:00Z')
const LENIENT = 'email_engaged'

/** A catalog event with every kind of Avro type the translation knows, and an older version of it. */
const kitchenSink = (version: number) =>
  avro.Type.forSchema({
    type: 'record',
    name: 'Sink',
    fields: [
      { name: 'i', type: 'int' },
      { name: 'l', type: ['null', 'long'], default: null },
      { name: 'd', type: 'double', default: 0 },
      { name: 'b', type: 'boolean', default: false },
      { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] }, default: 'RED' },
      { name: 'a', type: { type: 'array', items: 'string' }, default: [] },
      { name: 'm', type: { type: 'map', values: 'int' }, default: {} },
      { name: 'r', type: ['null', { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'string' }] }], default: null },
      { name: 'w', type: ['null', 'string', { type: 'enum', name: 'Size', symbols: ['S', 'M'] }], default: null },
      { name: 'bytes', type: ['null', 'bytes'], default: null },
      ...(version > 1 ? [{ name: 'added', type: ['null', 'string'], default: null }] : []),
    ],
  })

const catalog: CatalogEvent[] = [
  ...readCatalog().map((c) => ({ subject: c.subject, versions: [{ version: 1, type: avro.Type.forSchema(JSON.parse(c.schema)) }], lenient: c.subject === LENIENT })),
  { subject: 'sink', versions: [1, 2].map((version) => ({ version, type: kitchenSink(version) })), lenient: false },
]
const doc = buildOpenApi(catalog, { limits: DEFAULT_LIMITS, maxBatchEvents: 500, bodyLimitBytes: 1 << 20, metrics: true, now: NOW })
// Own properties only: a `constructor` rule must not see Object.prototype's. date-time by the gateway's own
// parser: timestamps are compared in track-request.test.ts, and against jsonschema-rs by Schemathesis.
const ajv = new Ajv2020({ strict: false, ownProperties: true, formats: { 'date-time': (s: string) => parseTimestamp(s) !== undefined } })
ajv.addSchema({ ...doc, $id: 'openapi' })
const validEvent = ajv.getSchema('openapi#/components/schemas/Event')!
const validAnyJson = ajv.getSchema('openapi#/components/schemas/AnyJson')!

/** Whether the gateway accepts this body (timestamps aside): the envelope, then the properties against the schema. */
function gatewayAccepts(body: Record<string, unknown>): boolean {
  if (poisoned(body)) return false
  const parsed = parseTrackRequest(body, DEFAULT_LIMITS, NOW)
  if (!parsed.ok) return false
  const entry = catalog.find((c) => c.subject === parsed.event.event)
  const version = entry?.versions.find((v) => v.version === (parsed.event.schemaVersion ?? entry.versions.at(-1)!.version))
  if (!entry || !version) return false
  const violations = findViolations(version.type, parsed.event.properties)
  return violations.every((v) => entry.lenient && v.kind === 'unknown_field')
}

const envelope = (event: string, properties: unknown, extra: Record<string, unknown> = {}) => ({
  event,
  messageId: 'm-1',
  accountId: 'acct_1',
  timestamp: '2026-11-22T11:00:00Z',
  ...(properties === undefined ? {} : { properties }),
  ...extra,
})

/** Values each field might be sent: right and wrong ones of every JSON kind, at the edges of the Avro ranges. */
const probes: unknown[] = [
  null, true, 0, -1, 1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 9_007_199_254_740_990, 9_007_199_254_740_991, -9_007_199_254_740_990,
  '', 'x', 'RED', 'S', 'PASSWORD', 'SSO', '😀'.repeat(8192), '😀'.repeat(8193), [], ['a'], [1], {}, { x: 'y' }, { string: 'y' }, { Size: 'M' }, { a: 1 },
  JSON.parse('{"constructor": {"prototype": {}}}'),
  JSON.parse('{"__proto__": {}}'),
]

/** What Fastify's JSON parser refuses (secure-json-parse): a __proto__ key, or constructor.prototype, anywhere. */
function poisoned(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  if (Object.hasOwn(v, '__proto__')) return true
  const c = (v as Record<string, unknown>).constructor
  if (Object.hasOwn(v, 'constructor') && typeof c === 'object' && c !== null && Object.hasOwn(c, 'prototype')) return true
  return Object.values(v).some(poisoned)
}

describe('the OpenAPI document says exactly which events the gateway accepts', () => {
  it('has one body variant per event and version, with the catalog as examples', () => {
    const names = Object.keys(doc.components.schemas).filter((n) => n.startsWith('Event.'))
    expect(names).toEqual([...readCatalog().map((c) => `Event.${c.subject}`), 'Event.sink.v1', 'Event.sink'])
    const examples = (doc.paths['/v1/track'].post.requestBody.content['application/json'] as any).examples
    for (const { value } of Object.values(examples) as { value: Record<string, unknown> }[]) {
      expect(validEvent(value), JSON.stringify(value)).toBe(true)
      expect(parseTrackRequest(value, DEFAULT_LIMITS, NOW + 5 * 60_000).ok).toBe(true)
      expect(gatewayAccepts({ ...value, timestamp: '2026-11-22T11:00:00Z' }), JSON.stringify(value)).toBe(true)
    }
  })

  it('agrees with the gateway on every field of every event, for right and wrong values of each kind', () => {
    let compared = 0
    for (const entry of catalog) {
      for (const { version, type } of entry.versions) {
        const fields = (type as any).fields as { name: string }[]
        const pin = version === entry.versions.at(-1)!.version ? {} : { schemaVersion: version }
        // One valid set of properties to vary a field of at a time.
        const example = (doc.paths['/v1/track'].post.requestBody.content['application/json'] as any).examples[entry.subject]?.value.properties ?? { i: 1 }
        const bodies: Record<string, unknown>[] = [envelope(entry.subject, example, pin), envelope(entry.subject, undefined, pin), envelope(entry.subject, null, pin), envelope(entry.subject, [], pin)]
        for (const f of fields) {
          for (const probe of probes) bodies.push(envelope(entry.subject, { ...example, [f.name]: probe }, pin))
          const { [f.name]: _dropped, ...without } = example
          bodies.push(envelope(entry.subject, without, pin))
        }
        for (const probe of probes) bodies.push(envelope(entry.subject, { ...example, undeclared: probe }, pin))
        bodies.push(envelope(entry.subject, example, { schemaVersion: 99 }), envelope(entry.subject, example, { schemaVersion: null }), envelope(`${entry.subject}_x`, example))
        for (const body of bodies) {
          const gateway = gatewayAccepts(body)
          expect(validEvent(body), `${JSON.stringify(body).slice(0, 300)}: the gateway ${gateway ? 'accepts' : 'refuses'} it`).toBe(gateway)
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThan(3000)
  })

  it('agrees on the envelope: ids, userId, schemaVersion, unknown fields', () => {
    const ok = envelope('feature_used', { feature: 'reports.export' })
    const bodies = [
      ok,
      ...['event', 'messageId', 'accountId', 'timestamp'].flatMap((k) => [{ ...ok, [k]: '' }, { ...ok, [k]: 'x'.repeat(256) }, { ...ok, [k]: '😀'.repeat(255) }, { ...ok, [k]: 7 }, { ...ok, [k]: undefined }]),
      { ...ok, userId: null },
      { ...ok, userId: '' },
      { ...ok, userId: 'u'.repeat(255) },
      { ...ok, userId: 'u'.repeat(256) },
      { ...ok, schemaVersion: 1 },
      { ...ok, schemaVersion: 0 },
      { ...ok, schemaVersion: 2 },
      { ...ok, schemaVersion: '1' },
      { ...ok, context: {} },
      { ...ok, timestamp: '2026-11-22T11:00:00.123456+01:00' },
    ]
    for (const body of bodies) expect(validEvent(body), JSON.stringify(body).slice(0, 200)).toBe(gatewayAccepts(body))
  })

  it('takes any JSON in a batch item but what the JSON parser refuses', () => {
    expect(validAnyJson({ a: [1, { b: null }], constructor: { x: 1 } })).toBe(true)
    expect(validAnyJson(JSON.parse('{"a": {"__proto__": 1}}'))).toBe(false)
    expect(validAnyJson({ a: [{ constructor: { prototype: 1 } }] })).toBe(false)
  })

  it("describes Segment's API: its calls, the fields its libraries send beside a batch, and the refusals only its messages get", () => {
    const paths = doc.paths as Record<string, any>
    for (const type of ['identify', 'group', 'page', 'screen', 'alias']) {
      expect(Object.keys(paths[`/v1/${type}`].post.responses).sort(), type).toEqual(['200', '400', '401', '413', '415', '429', '503'])
    }
    expect(paths['/v1/track'].post.responses['200']).toBeDefined()
    const validBatch = (body: unknown) => ajv.validate({ $ref: 'openapi#/paths/~1v1~1batch/post/requestBody/content/application~1json/schema' }, body)
    const analyticsNode = { batch: [{ type: 'track', event: 'feature_used', userId: 'u' }], writeKey: 'wk', sentAt: '2026-11-22T11:00:00.000Z' }
    const rudderNode = { batch: [{ type: 'track' }], timestamp: '2026-11-22T11:00:00.000Z', sentAt: '2026-11-22T11:00:00.000Z' }
    expect(validBatch(analyticsNode)).toBe(true)
    expect(validBatch(rudderNode)).toBe(true)
    expect(validBatch({ ...analyticsNode, sentAt: 'yesterday' })).toBe(false)
    expect(validBatch({ ...analyticsNode, colour: 'red' })).toBe(false)
    const errors = (doc.components.schemas.EventResult as any).oneOf[2].properties.error.enum
    expect(errors).toEqual(expect.arrayContaining(['unmapped_account', 'unsupported_type', 'message_too_large']))
  })
})
