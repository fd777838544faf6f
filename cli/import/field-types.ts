/**
 * Pure: what a CSV cell must hold for each property of an event, read from the event's Avro schema (the one
 * the gateway validates against), so a mapping never restates a type the catalog already declares.
 */

export type CellKind =
  | 'string'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'enum'
  /** Avro `int` with logicalType `date`: a calendar date, sent as days since 1970-01-01. */
  | 'date'
  /** Avro `long` with logicalType `timestamp-millis` / `timestamp-micros`: an instant, sent in those units. */
  | 'timestamp-millis'
  | 'timestamp-micros'
  /** Anything a cell cannot spell as a scalar (records, arrays, maps, bytes, wider unions): the cell holds JSON. */
  | 'json'

export interface FieldType {
  kind: CellKind
  /** The schema's type allows null (a union with "null"). */
  nullable: boolean
  /** The field has a default, so it may be left out. */
  hasDefault: boolean
  /** The symbols, for an enum. */
  symbols?: string[]
  /** The type as the schema spells it, for messages: `long`, `null | int (date)`, `enum LoginMethod`. */
  described: string
}

/** A property's name → what its cells must hold. */
export type EventFields = Map<string, FieldType>

const PRIMITIVE_KINDS: Record<string, CellKind> = { string: 'string', int: 'int', long: 'long', float: 'float', double: 'double', boolean: 'boolean' }

/** The fields of an event's record schema (parsed Avro JSON). Throws when it is not a record. */
export function eventFields(schema: unknown): EventFields {
  if (!isObject(schema) || schema.type !== 'record' || !Array.isArray(schema.fields)) throw new Error('the schema is not an Avro record')
  const named = new Map<string, unknown>()
  collectNamed(schema, typeof schema.namespace === 'string' ? schema.namespace : '', named)
  const fields: EventFields = new Map()
  for (const f of schema.fields as Record<string, unknown>[]) {
    fields.set(String(f.name), fieldType(f.type, 'default' in f, named))
  }
  return fields
}

function fieldType(type: unknown, hasDefault: boolean, named: Map<string, unknown>): FieldType {
  if (Array.isArray(type)) {
    const others = type.filter((t) => t !== 'null')
    if (others.length === 1 && others.length < type.length) {
      const inner = single(others[0], named)
      return { ...inner, nullable: true, hasDefault, described: `null | ${inner.described}` }
    }
    return { kind: 'json', nullable: others.length < type.length, hasDefault, described: type.map((t) => single(t, named).described).join(' | ') }
  }
  return { ...single(type, named), nullable: type === 'null', hasDefault }
}

function single(type: unknown, named: Map<string, unknown>): Omit<FieldType, 'nullable' | 'hasDefault'> {
  if (typeof type === 'string') {
    if (PRIMITIVE_KINDS[type]) return { kind: PRIMITIVE_KINDS[type], described: type }
    const resolved = named.get(type)
    if (resolved !== undefined) return single(resolved, named)
    return { kind: 'json', described: type }
  }
  if (!isObject(type)) return { kind: 'json', described: 'unknown' }
  const logical = type.logicalType
  if (type.type === 'int' && logical === 'date') return { kind: 'date', described: 'int (date)' }
  if (type.type === 'long' && (logical === 'timestamp-millis' || logical === 'timestamp-micros')) return { kind: logical, described: `long (${logical})` }
  if (type.type === 'enum' && Array.isArray(type.symbols)) return { kind: 'enum', symbols: type.symbols.map(String), described: `enum ${type.name}` }
  if (typeof type.type === 'string' && PRIMITIVE_KINDS[type.type]) return { kind: PRIMITIVE_KINDS[type.type], described: type.type }
  return { kind: 'json', described: typeof type.type === 'string' ? type.type : 'unknown' }
}

/** Named types (records, enums, fixed) by name and full name, so a field may refer to one defined earlier. */
function collectNamed(type: unknown, namespace: string, out: Map<string, unknown>): void {
  if (Array.isArray(type)) return type.forEach((t) => collectNamed(t, namespace, out))
  if (!isObject(type)) return
  const ns = typeof type.namespace === 'string' ? type.namespace : namespace
  if (typeof type.name === 'string' && ['record', 'error', 'enum', 'fixed'].includes(String(type.type))) {
    out.set(type.name, type)
    out.set(type.name.includes('.') ? type.name : ns ? `${ns}.${type.name}` : type.name, type)
  }
  if (Array.isArray(type.fields)) for (const f of type.fields as Record<string, unknown>[]) collectNamed(f.type, ns, out)
  if (type.items !== undefined) collectNamed(type.items, ns, out)
  if (type.values !== undefined) collectNamed(type.values, ns, out)
  if (isObject(type.type) || Array.isArray(type.type)) collectNamed(type.type, ns, out)
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
