import type avro from 'avsc'
import type { EnvelopeLimits } from './track-request.js'

/** A JSON Schema (2020-12, as OpenAPI 3.1 takes it); `false` accepts nothing. */
export type JsonSchema = { [keyword: string]: unknown } | boolean

export interface PropertiesSchemaOptions {
  limits: Pick<EnvelopeLimits, 'maxDepth' | 'maxStringLength'>
  /** Undeclared record fields are accepted (a lenient subject) instead of refused. */
  lenient: boolean
  /** Where the schema of an undeclared field's value at `depth` lives (see jsonValueSchema); only asked when lenient. */
  valueRef: (depth: number) => string
}

// avsc's long is a JavaScript number, valid while exact: |n| ≤ 2^53 − 2.
const LONG_LIMIT = 9_007_199_254_740_990

/**
 * The JSON Schema of exactly the `properties` values the gateway accepts for this Avro type: what avsc's
 * isValid accepts (findViolations' first check), without undeclared fields unless lenient (its second), within
 * the envelope limits (nesting depth, string length). `depth` is the nesting level of the value, `properties`
 * itself being 1, as parseTrackRequest counts it.
 */
export function avroToJsonSchema(type: avro.Type, options: PropertiesSchemaOptions, depth = 1): JsonSchema {
  const t = type as any
  const { maxDepth, maxStringLength } = options.limits
  const doc = t.doc ? { description: String(t.doc) } : {}
  // An object or array nested deeper than the limit is refused whatever it holds.
  const container = depth <= maxDepth
  switch (t.typeName) {
    case 'null':
      return { type: 'null' }
    case 'boolean':
      return { type: 'boolean' }
    case 'int':
      return { type: 'integer', minimum: -2_147_483_648, maximum: 2_147_483_647 }
    case 'long':
      return { type: 'integer', minimum: -LONG_LIMIT, maximum: LONG_LIMIT }
    case 'float':
    case 'double':
      return { type: 'number' }
    case 'string':
      return { type: 'string', maxLength: maxStringLength }
    case 'enum':
      return { type: 'string', enum: [...t.symbols], title: t.name, ...doc }
    case 'bytes':
    case 'fixed':
      // avsc takes only a Buffer for these, which JSON cannot carry: no JSON value is valid.
      return { not: {}, description: `Avro ${t.typeName}: cannot be sent as JSON` }
    case 'array':
      return container ? { type: 'array', items: avroToJsonSchema(t.itemsType, options, depth + 1) } : false
    case 'map':
      return container ? { type: 'object', additionalProperties: avroToJsonSchema(t.valuesType, options, depth + 1) } : false
    case 'record':
    case 'error': {
      if (!container) return false
      const properties: Record<string, JsonSchema> = {}
      const required: string[] = []
      for (const f of t.fields) {
        const field = avroToJsonSchema(f.type, options, depth + 1)
        properties[f.name] = typeof field === 'object' && f.doc ? { ...field, description: String(f.doc) } : field
        if (f.defaultValue() === undefined) required.push(f.name)
      }
      return {
        type: 'object',
        title: t.name,
        ...doc,
        properties,
        ...(required.length ? { required } : {}),
        additionalProperties: options.lenient ? { $ref: options.valueRef(depth + 1) } : false,
      }
    }
    case 'union:unwrapped':
      // avsc picks the one branch of the value's JSON kind, so at most one branch can match: anyOf is exact.
      return { anyOf: (t.types as avro.Type[]).map((b) => avroToJsonSchema(b, options, depth)) }
    case 'union:wrapped':
      // null as is; any other branch as {"<branch name>": value}.
      return {
        anyOf: (t.types as any[]).map((b) =>
          b.typeName === 'null'
            ? { type: 'null' }
            : container
              ? { type: 'object', properties: { [b.branchName]: avroToJsonSchema(b, options, depth + 1) }, required: [b.branchName], additionalProperties: false }
              : false,
        ),
      }
    default:
      // A logical type avsc was told about wraps its underlying type.
      if (t.underlyingType) return avroToJsonSchema(t.underlyingType, options, depth)
      throw new Error(`no JSON Schema for Avro type ${t.typeName}`)
  }
}

/**
 * Any JSON value the envelope limits allow at `depth` (an undeclared field of a lenient subject): strings up
 * to the length limit, objects and arrays no deeper than the depth limit. `ref(d)` names the schema for depth d.
 */
export function jsonValueSchema(depth: number, limits: PropertiesSchemaOptions['limits'], ref: (depth: number) => string): JsonSchema {
  const scalars: JsonSchema[] = [{ type: 'string', maxLength: limits.maxStringLength }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }]
  if (depth > limits.maxDepth) return { anyOf: scalars }
  return { anyOf: [...scalars, { type: 'array', items: { $ref: ref(depth + 1) } }, jsonObjectSchema({ $ref: ref(depth + 1) })] }
}

/**
 * A JSON object whose values are `value`, as the gateway's JSON parser takes it: it refuses a body with a
 * `__proto__` key, or a `constructor` key holding an object with a `prototype` key, anywhere (prototype
 * poisoning), with 400 invalid_json.
 */
export function jsonObjectSchema(value: JsonSchema): JsonSchema {
  return {
    type: 'object',
    propertyNames: { not: { const: '__proto__' } },
    properties: { constructor: { allOf: [value, { not: { type: 'object', required: ['prototype'] } }] } },
    additionalProperties: value,
  }
}
