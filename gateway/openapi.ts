import type avro from 'avsc'
import { avroToJsonSchema, jsonObjectSchema, jsonValueSchema, type JsonSchema } from './avro-json-schema.js'
import type { EventSchemas } from './event-schemas.js'
import type { EnvelopeLimits } from './track-request.js'

/**
 * OpenAPI 3.1 description of the gateway, served at GET /openapi.json. Kept beside the routes it describes.
 * The event body is built from the registry's catalog at the time it is asked for: one variant per event and
 * schema version, whose `properties` are exactly what that schema accepts, so that a valid body is accepted
 * and an invalid one refused; only the timestamp window (relative to the gateway's clock) is said in words.
 */

const error = (codes: string[], description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: { type: 'string', enum: codes }, message: { type: 'string' } },
      },
    },
  },
})

const violation = {
  type: 'object',
  required: ['path', 'kind', 'expected', 'actual', 'message'],
  properties: {
    path: { type: 'string', examples: ['properties.feature'] },
    kind: { type: 'string', enum: ['type_mismatch', 'missing_field', 'unknown_field', 'unknown_event'] },
    expected: { type: 'string', examples: ['string'] },
    actual: { type: 'string', examples: ['integer 42'] },
    message: { type: 'string' },
  },
}

const eventResult = {
  oneOf: [
    {
      type: 'object',
      required: ['status', 'messageId', 'schemaId', 'schemaVersion'],
      properties: {
        status: { const: 'accepted' },
        messageId: { type: 'string' },
        schemaId: { type: 'integer' },
        schemaVersion: { type: 'integer' },
        duplicate: { const: true },
        warnings: { type: 'array', items: { $ref: '#/components/schemas/Violation' } },
      },
    },
    {
      type: 'object',
      required: ['status', 'error', 'violations'],
      properties: {
        status: { const: 'rejected' },
        messageId: { type: 'string' },
        error: { const: 'schema_violation' },
        schemaId: { type: 'integer' },
        schemaVersion: { type: 'integer' },
        violations: { type: 'array', items: { $ref: '#/components/schemas/Violation' } },
      },
    },
    {
      type: 'object',
      required: ['status', 'error', 'message'],
      properties: {
        status: { const: 'rejected' },
        messageId: { type: 'string' },
        error: {
          enum: ['invalid_envelope', 'timestamp_out_of_range', 'limit_exceeded', 'forbidden', 'unmapped_account', 'unsupported_type', 'message_too_large'],
          description: 'The last three for messages in Segment\'s shape: no account (context.groupId or PULSE_SEGMENT_ACCOUNT_PATH), a page, screen or alias call (Pulse stores none), over 32 KB',
        },
        message: { type: 'string' },
      },
    },
    {
      type: 'object',
      required: ['status', 'messageId', 'error', 'message'],
      properties: { status: { const: 'failed' }, messageId: { type: 'string' }, error: { enum: ['unavailable', 'in_flight'] }, message: { type: 'string' } },
    },
  ],
}

const batchResults = {
  type: 'object',
  required: ['accepted', 'rejected', 'failed', 'results'],
  properties: {
    accepted: { type: 'integer', minimum: 0 },
    rejected: { type: 'integer', minimum: 0 },
    failed: { type: 'integer', minimum: 0 },
    results: { type: 'array', items: { $ref: '#/components/schemas/EventResult' } },
  },
}

/** Any JSON value the gateway's parser takes (see jsonObjectSchema). */
const anyJson = {
  anyOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array', items: { $ref: '#/components/schemas/AnyJson' } }, jsonObjectSchema({ $ref: '#/components/schemas/AnyJson' })],
}

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } }

/** One event of the registry's catalog: every version it has, and whether undeclared properties are accepted. */
export interface CatalogEvent {
  subject: string
  /** Ascending; the last is the latest. */
  versions: { version: number; type: avro.Type }[]
  lenient: boolean
}

/** The registry's catalog as the gateway sees it: every event, each of its versions' schema, and its leniency. */
export async function catalogOf(schemas: EventSchemas, isLenient: (subject: string) => Promise<boolean>): Promise<CatalogEvent[]> {
  const events = await Promise.all(
    (await schemas.catalog()).map(async ({ subject, versions }): Promise<CatalogEvent> => {
      const [found, lenient] = await Promise.all([Promise.all(versions.map((v) => schemas.get(subject, v))), isLenient(subject)])
      return { subject, versions: found.filter((x) => x !== undefined).map((x) => ({ version: x.version, type: x.type })), lenient }
    }),
  )
  // A version deleted between the list and its lookup is left out, and an event left without any.
  return events.filter((e) => e.versions.length > 0)
}

export interface OpenApiOptions {
  limits: EnvelopeLimits
  maxBatchEvents: number
  bodyLimitBytes: number
  metrics: boolean
  /** Epoch ms the example timestamps are taken from. */
  now: number
}

const componentName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_')
const valueRef = (depth: number) => `#/components/schemas/PropertyValueAtDepth${depth}`

/** The gateway's OpenAPI document for this catalog. */
export function buildOpenApi(catalog: CatalogEvent[], opts: OpenApiOptions) {
  const { limits, maxBatchEvents } = opts
  const id = (what: string) => ({ type: 'string', minLength: 1, maxLength: 255, description: what })
  const window = Number.isFinite(limits.maxPastMs)
    ? `at most ${duration(limits.maxPastMs)} in the past (any age for an API key with the backfill scope) and ${duration(limits.maxFutureMs)} in the future`
    : `at most ${duration(limits.maxFutureMs)} in the future`
  const timestamp = {
    type: 'string',
    format: 'date-time',
    description: `When it happened: an RFC 3339 date-time (seconds and a zone required), ${window} of the gateway's clock; otherwise 400 timestamp_out_of_range`,
  }
  const variants: Record<string, JsonSchema> = {}
  const examples: Record<string, { summary: string; value: unknown }> = {}
  let anyLenient = false
  for (const e of catalog) {
    anyLenient ||= e.lenient
    const latest = e.versions.at(-1)!
    for (const v of e.versions) {
      const isLatest = v === latest
      const properties = avroToJsonSchema(v.type, { limits, lenient: e.lenient, valueRef }) as Record<string, unknown>
      // Absent or null properties are read as {}: allowed exactly when {} is valid.
      const needsProperties = Array.isArray(properties.required) && properties.required.length > 0
      const base = componentName(isLatest ? `Event.${e.subject}` : `Event.${e.subject}.v${v.version}`)
      // Subjects may hold characters a component name may not: two that read alike once replaced stay apart.
      let name = base
      for (let n = 2; name in variants; n++) name = `${base}-${n}`
      variants[name] = {
        type: 'object',
        title: isLatest ? e.subject : `${e.subject} version ${v.version}`,
        description: isLatest
          ? `"${e.subject}" validated against its latest schema version (${v.version}), or pinned to it`
          : `"${e.subject}" pinned to schema version ${v.version}`,
        required: ['event', 'messageId', 'accountId', 'timestamp', ...(isLatest ? [] : ['schemaVersion']), ...(needsProperties ? ['properties'] : [])],
        additionalProperties: false,
        properties: {
          event: { const: e.subject, description: 'The event name: its schema registry subject' },
          messageId: id('Unique per event; a retry re-sends the same id (an id accepted in the last 24 h is acknowledged as a duplicate)'),
          accountId: id('The customer account; the Kafka record key'),
          userId: { type: ['string', 'null'], minLength: 1, maxLength: 255, description: 'The user, when the event has one; null is the same as absent' },
          timestamp,
          schemaVersion: isLatest
            ? { enum: [v.version, null], description: 'Absent or null: the latest version' }
            : { const: v.version, description: 'Validate and encode with this version instead of the latest' },
          properties: needsProperties ? properties : { anyOf: [properties, { type: 'null' }] },
        },
      }
      if (isLatest) {
        examples[e.subject] = {
          summary: e.subject,
          value: {
            event: e.subject,
            messageId: `example-${e.subject}-1`,
            accountId: 'acct_example',
            userId: 'user_example',
            timestamp: new Date(opts.now - 60_000).toISOString(),
            properties: exampleOf(v.type),
          },
        }
      }
    }
  }
  const valueDefs: Record<string, JsonSchema> = {}
  if (anyLenient) for (let d = 2; d <= limits.maxDepth + 1; d++) valueDefs[`PropertyValueAtDepth${d}`] = jsonValueSchema(d, limits, valueRef)
  const names = Object.keys(variants)
  const event: JsonSchema = names.length
    ? {
        description: `An event of the registry's catalog, in the Segment style. \`properties\` are checked against the event's Avro schema (nesting ≤ ${limits.maxDepth} levels, strings ≤ ${limits.maxStringLength} characters); an event or version the registry does not have is refused with 422 unknown_event`,
        oneOf: names.map((n) => ({ $ref: `#/components/schemas/${n}` })),
      }
    : { description: 'The registry has no event schemas yet: no event can be accepted', not: {} }
  const bodyTooLarge = error(['body_too_large'], `Body over ${Math.round(opts.bodyLimitBytes / 1024)} KiB`)
  const unsupported = error(['unsupported_media_type'], 'Only application/json is accepted')
  const unauthorized = error(['unauthorized'], 'No or unknown API key')
  const rateLimited = { ...error(['rate_limited'], 'More requests from this API key than PULSE_RATE_LIMIT allows'), headers: retryAfter }
  const unavailable = { ...error(['unavailable'], 'Kafka, the schema registry or Redis could not be reached: nothing was accepted; retry after Retry-After seconds'), headers: retryAfter }
  const json = (schema: unknown) => ({ 'application/json': { schema } })
  const exampleList = Object.values(examples)
  const anyObject = jsonObjectSchema({ $ref: '#/components/schemas/AnyJson' }) as Record<string, unknown>
  const dateTime = (what: string) => ({ type: 'string', format: 'date-time', description: what })
  /** One call of Segment's HTTP Tracking API: 200 whatever happens to the message, as Segment answers. */
  const segmentCall = (type: string, summary: string) => ({
    post: {
      summary,
      description:
        `A ${type} call of Segment's HTTP Tracking API (any JSON object is taken: the message is checked and mapped as the README's "Switching from Segment/RudderStack" says). ` +
        "As Segment's API does, the answer is 200 whatever happened to the message; the result says whether it was accepted, and a refusal is also a drift record and a metric (pulse_segment_messages_total) by API key.",
      parameters: [{ $ref: '#/components/parameters/RequestId' }],
      requestBody: { required: true, content: json({ ...anyObject, description: `A Segment ${type} message; its "type", when present, must be "${type}"` }) },
      responses: {
        '200': { description: 'One result, for the one message', content: json({ $ref: '#/components/schemas/BatchResults' }) },
        '400': error(['invalid_json', 'invalid_envelope', 'message_too_large'], 'Malformed JSON, a body that is not a JSON object, or a message over 32 KB of JSON'),
        '401': unauthorized,
        '413': bodyTooLarge,
        '415': unsupported,
        '429': rateLimited,
        '503': {
          description: 'Kafka failed the event (the result says so), or the registry or Redis could not be reached',
          headers: retryAfter,
          content: json({ oneOf: [{ $ref: '#/components/schemas/BatchResults' }, error(['unavailable'], '').content['application/json'].schema] }),
        },
      },
    },
  })

  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse gateway',
      version: '1',
      description:
        'Schema-governed event tracking. A 2xx means the event is durably in Kafka (acks=all); every refusal says why. ' +
        "The event bodies below are the registry's catalog as of when this document was served. " +
        'A method a path does not serve is answered 405 with an Allow header.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from PULSE_API_KEYS or `pulse keys create`: its secret' },
        keyNameAndSecret: { type: 'http', scheme: 'basic', description: "The same key as Basic auth: the key's name as user name, its secret as password; or, as Segment's and RudderStack's libraries send a write key, the secret as user name and an empty password" },
      },
      schemas: { Event: event, ...variants, ...valueDefs, Violation: violation, EventResult: eventResult, BatchResults: batchResults, AnyJson: anyJson },
      parameters: {
        RequestId: {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          description:
            "Your id for this request, echoed in the response's X-Request-Id and logged as reqId when it is a token of 1–128 characters of A-Za-z0-9._:-; any other value is replaced by a fresh UUID (never refused: a tracing header does not cost an event)",
        },
      },
      headers: { RequestId: { description: "The request's id: yours when it was a token, else a fresh UUID", schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } } },
    },
    security: [{ apiKey: [] }, { keyNameAndSecret: [] }],
    paths: {
      '/v1/track': {
        post: {
          summary: 'Track one event',
          parameters: [{ $ref: '#/components/parameters/RequestId' }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Event' },
                ...(exampleList.length ? { examples } : {}),
              },
            },
          },
          responses: {
            '202': {
              description: 'Accepted: in Kafka',
              content: json({
                type: 'object',
                required: ['messageId', 'schemaId', 'schemaVersion'],
                properties: {
                  messageId: { type: 'string' },
                  schemaId: { type: 'integer' },
                  schemaVersion: { type: 'integer' },
                  duplicate: { const: true, description: 'This messageId was already accepted within 24 h, as far as the gateways\' Bloom filter can tell (about 2 in 100 new ids are false positives); it is passed on marked for verification, and the processor stores it only if no event with this messageId is stored for the account (so a false positive never loses an event)' },
                  warnings: { type: 'array', items: { $ref: '#/components/schemas/Violation' }, description: 'Undeclared properties of a lenient subject (registry subject config unknownProperties: REPORT, or PULSE_LENIENT_SUBJECTS): accepted, dropped from the record, reported as drift' },
                },
              }),
            },
            '200': {
              description: "A body in Segment's shape (it has a field only Segment's messages have: type, anonymousId, context, integrations, _metadata, originalTimestamp, sentAt or traits) is a Segment track call, answered as /v1/identify is",
              content: json({ $ref: '#/components/schemas/BatchResults' }),
            },
            '400': error(['invalid_json', 'invalid_envelope', 'timestamp_out_of_range', 'limit_exceeded', 'message_too_large'], 'Malformed JSON, a bad envelope, a timestamp outside the window, or a limit exceeded (a Segment-shaped body: over 32 KB); the message says which field and what was expected'),
            '401': unauthorized,
            '403': error(['forbidden'], "The API key has neither the track nor the backfill scope, or its allow-list does not include this event"),
            '409': { ...error(['in_flight'], 'Another request is writing an event with this messageId right now'), headers: retryAfter },
            '413': bodyTooLarge,
            '415': unsupported,
            '422': {
              description: 'The properties drift from the schema (every violation is listed), or the event or pinned version is not registered',
              content: json({
                type: 'object',
                required: ['error', 'violations'],
                properties: {
                  error: { const: 'schema_violation' },
                  schemaId: { type: 'integer' },
                  schemaVersion: { type: 'integer', description: 'The version the event was checked against' },
                  violations: { type: 'array', items: { $ref: '#/components/schemas/Violation' } },
                },
              }),
            },
            '429': rateLimited,
            '503': unavailable,
          },
        },
      },
      '/v1/batch': {
        post: {
          summary: `Track up to ${maxBatchEvents} events; valid ones are accepted even when others are not`,
          parameters: [{ $ref: '#/components/parameters/RequestId' }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['batch'],
                  additionalProperties: false,
                  properties: {
                    sentAt: dateTime("When the batch was sent, by the producer's clock (Segment's libraries set it): corrects the time of Segment-shaped messages, timestamp = received − (sentAt − originalTimestamp or timestamp)"),
                    timestamp: dateTime('Sent by RudderStack\'s Node library beside sentAt; not used'),
                    writeKey: { type: 'string', description: 'The API key\'s secret, as Segment\'s libraries also send it in the body; read only when there is no Authorization header' },
                    context: { ...anyObject, description: 'Segment\'s batch context, applying to every message (its groupId names the account of messages without their own)' },
                    integrations: { ...anyObject, description: 'Segment\'s destinations switch; not used' },
                    _metadata: { ...anyObject, description: 'Segment\'s library metadata; not used' },
                    batch: {
                      type: 'array',
                      minItems: 1,
                      maxItems: maxBatchEvents,
                      // Any item is taken: one that is not a valid Event is refused in its result, not the batch.
                      items: {
                        $ref: '#/components/schemas/AnyJson',
                        description: "An Event (#/components/schemas/Event), or a message in Segment's shape (one with a \"type\"; see /v1/identify); any other value gets a rejected result, the rest of the batch is still accepted",
                      },
                    },
                  },
                },
                ...(exampleList.length ? { example: { batch: exampleList.map((x) => x.value) } } : {}),
              },
            },
          },
          responses: {
            '200': {
              description: 'One result per event, in order',
              content: json({ $ref: '#/components/schemas/BatchResults' }),
            },
            '400': error(['invalid_json', 'invalid_batch', 'batch_too_large'], `Not {"batch": [...]}, an empty batch, or more than ${maxBatchEvents} events`),
            '401': unauthorized,
            '413': bodyTooLarge,
            '415': unsupported,
            '429': rateLimited,
            '503': {
              description: 'Kafka failed some events (the results say which; the others were accepted), or the registry or Redis could not be reached (nothing was accepted)',
              headers: retryAfter,
              content: json({ oneOf: [{ $ref: '#/components/schemas/BatchResults' }, error(['unavailable'], '').content['application/json'].schema] }),
            },
          },
        },
      },
      '/v1/identify': segmentCall('identify', "Segment identify: a user's traits, stored as user_identified"),
      '/v1/group': segmentCall('group', "Segment group: the account's traits, stored as account_updated"),
      '/v1/page': segmentCall('page', 'Segment page: refused per message (Pulse stores no page views), counted and reported'),
      '/v1/screen': segmentCall('screen', 'Segment screen: refused per message (Pulse stores no screen views), counted and reported'),
      '/v1/alias': segmentCall('alias', 'Segment alias: refused per message (Pulse merges no identities), counted and reported'),
      '/healthz': {
        get: {
          summary: 'The process is up',
          security: [],
          responses: { '200': { description: 'Up', content: json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }) } },
        },
      },
      '/readyz': {
        get: {
          summary: 'Kafka and the schema registry answer',
          security: [],
          responses: {
            '200': { description: 'Ready', content: json(readiness('ready')) },
            '503': { description: 'A dependency does not answer; `checks` says which', content: json(readiness('not_ready')) },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: opts.metrics
            ? { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } }
            : { '404': error(['not_found'], 'Metrics are not enabled in this gateway') },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document (any valid API key: it holds the event catalog)',
          responses: {
            '200': { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'paths'] }) },
            '401': unauthorized,
            '503': { ...error(['unavailable'], 'The schema registry could not be reached for the catalog'), headers: retryAfter },
          },
        },
      },
    },
  }
}

function readiness(status: string) {
  return { type: 'object', required: ['status', 'checks'], properties: { status: { const: status }, checks: { type: 'object', additionalProperties: { type: 'boolean' } } } }
}

/** A value this Avro type accepts, for the document's examples: a field's default, else the first choice. */
function exampleOf(type: avro.Type): unknown {
  const t = type as any
  switch (t.typeName) {
    case 'null':
      return null
    case 'boolean':
      return true
    case 'int':
    case 'long':
      return 1
    case 'float':
    case 'double':
      return 1.5
    case 'string':
      return 'example'
    case 'enum':
      return t.symbols[0]
    case 'array':
      return [exampleOf(t.itemsType)]
    case 'map':
      return { key: exampleOf(t.valuesType) }
    case 'record':
    case 'error':
      return Object.fromEntries(
        (t.fields as any[]).filter((f) => f.defaultValue() === undefined).map((f) => [f.name, exampleFromDoc(f.doc, f.type) ?? exampleOf(f.type)]),
      )
    case 'union:unwrapped':
      return exampleOf(t.types.find((b: any) => b.typeName !== 'null') ?? t.types[0])
    case 'union:wrapped': {
      const b = t.types.find((x: any) => x.typeName !== 'null')
      return b ? { [b.branchName]: exampleOf(b) } : null
    }
    default:
      return t.underlyingType ? exampleOf(t.underlyingType) : null
  }
}

/** `e.g. "reports.export"` in a string field's doc. */
function exampleFromDoc(doc: unknown, type: avro.Type): string | undefined {
  if ((type as any).typeName !== 'string' || typeof doc !== 'string') return undefined
  return /e\.g\. "([^"]+)"/.exec(doc)?.[1]
}

function duration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`
  return `${Math.round(ms / 1000)} s`
}
