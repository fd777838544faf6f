/** OpenAPI 3.1 description of the gateway, served at GET /openapi.json. Kept beside the routes it describes. */

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

const event = {
  type: 'object',
  required: ['event', 'messageId', 'accountId', 'timestamp'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', maxLength: 255, description: 'Event name = schema registry subject, e.g. feature_used' },
    messageId: { type: 'string', maxLength: 255, description: 'Unique per event; retries re-send the same id' },
    accountId: { type: 'string', maxLength: 255, description: 'The customer account; the Kafka record key' },
    userId: { type: ['string', 'null'], maxLength: 255 },
    timestamp: {
      type: 'string',
      format: 'date-time',
      description: 'ISO-8601 with a zone; within PULSE_MAX_EVENT_AGE in the past and PULSE_MAX_CLOCK_SKEW in the future',
    },
    schemaVersion: { type: ['integer', 'null'], minimum: 1, description: 'Validate and encode with this version; absent means the latest' },
    properties: { type: 'object', description: "Checked against the event's Avro schema; nesting ≤ 8 levels, strings ≤ 8192 characters" },
  },
}

const eventResult = {
  oneOf: [
    {
      type: 'object',
      required: ['status', 'messageId', 'schemaId', 'schemaVersion'],
      properties: { status: { const: 'accepted' }, messageId: { type: 'string' }, schemaId: { type: 'integer' }, schemaVersion: { type: 'integer' } },
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
        error: { enum: ['invalid_envelope', 'timestamp_out_of_range', 'limit_exceeded', 'forbidden'] },
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

const common = {
  '401': error(['unauthorized'], 'No or unknown API key'),
  '409': {
    ...error(['in_flight'], 'Another request is writing an event with this messageId right now'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
  '429': {
    ...error(['rate_limited'], 'More requests from this API key than PULSE_RATE_LIMIT allows'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
  '413': error(['body_too_large', 'batch_too_large'], 'Body over 1 MB, or a batch over 500 events'),
  '415': error(['unsupported_media_type'], 'Only application/json is accepted'),
  '503': {
    ...error(['unavailable'], 'Kafka or the schema registry could not be reached: nothing was accepted; retry after Retry-After seconds'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
}

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Pulse gateway',
    version: '1',
    description: 'Schema-governed event tracking. A 2xx means the event is durably in Kafka (acks=all); every refusal says why.',
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from PULSE_API_KEYS' } },
    schemas: { Event: event, Violation: violation, EventResult: eventResult },
    parameters: {
      RequestId: {
        name: 'X-Request-Id',
        in: 'header',
        required: false,
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
        description: "Your id for this request, echoed in the response's X-Request-Id and logged as reqId; a fresh UUID when absent or not matching the pattern",
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/track': {
      post: {
        summary: 'Track one event',
        parameters: [{ $ref: '#/components/parameters/RequestId' }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Event' } } } },
        responses: {
          '202': {
            description: 'Accepted: in Kafka',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['messageId', 'schemaId', 'schemaVersion'],
                  properties: {
                    messageId: { type: 'string' },
                    schemaId: { type: 'integer' },
                    schemaVersion: { type: 'integer' },
                    duplicate: { const: true, description: 'This messageId was already accepted within 24 h; it is passed on marked for verification, and the processor stores it only if no event with this messageId is stored for the account (so a rare fingerprint collision never loses an event)' },
                    warnings: { type: 'array', items: { $ref: '#/components/schemas/Violation' }, description: 'Undeclared properties of a lenient subject (registry subject config unknownProperties: REPORT, or PULSE_LENIENT_SUBJECTS): accepted, dropped from the record, reported as drift' },
                  },
                },
              },
            },
          },
          '400': error(['invalid_json', 'invalid_envelope', 'timestamp_out_of_range', 'limit_exceeded'], 'Malformed JSON, a bad envelope, a timestamp outside the window, or a limit exceeded'),
          '403': error(['forbidden'], "The API key's allow-list does not include this event"),
          '422': {
            description: 'The properties drift from the schema; every violation is listed',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['error', 'violations'],
                  properties: {
                    error: { const: 'schema_violation' },
                    schemaId: { type: 'integer' },
                    schemaVersion: { type: 'integer', description: 'The version the event was checked against' },
                    violations: { type: 'array', items: { $ref: '#/components/schemas/Violation' } },
                  },
                },
              },
            },
          },
          ...common,
        },
      },
    },
    '/v1/batch': {
      post: {
        summary: 'Track up to 500 events; valid ones are accepted even when others are not',
        parameters: [{ $ref: '#/components/parameters/RequestId' }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['batch'], additionalProperties: false, properties: { batch: { type: 'array', minItems: 1, maxItems: 500, items: {} } } },
            },
          },
        },
        responses: {
          '200': {
            description: 'One result per event, in order',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['accepted', 'rejected', 'failed', 'results'],
                  properties: {
                    accepted: { type: 'integer' },
                    rejected: { type: 'integer' },
                    failed: { type: 'integer' },
                    results: { type: 'array', items: { $ref: '#/components/schemas/EventResult' } },
                  },
                },
              },
            },
          },
          '400': error(['invalid_json', 'invalid_batch'], 'Not {"batch": [...]}, or an empty batch'),
          ...common,
        },
      },
    },
    '/healthz': { get: { summary: 'The process is up', security: [], responses: { '200': { description: 'Up' } } } },
    '/readyz': {
      get: {
        summary: 'Kafka and the schema registry answer',
        security: [],
        responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency does not answer; `checks` says which' } },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'Prometheus text format' } } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
  },
} as const
