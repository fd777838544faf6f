import type avro from 'avsc'

export type ViolationKind = 'type_mismatch' | 'missing_field' | 'unknown_field' | 'unknown_event'

export interface Violation {
  path: string
  kind: ViolationKind
  expected: string
  actual: string
  message: string
}

/**
 * Pure: every way `properties` drifts from the event's Avro schema, not just the first.
 * Type and missing-field errors come from avsc's own checker (its errorHook reports each bad path);
 * undeclared fields are walked here because avsc only says "invalid" for the whole record when asked
 * to reject them.
 */
export function findViolations(type: avro.Type, properties: unknown, prefix = 'properties'): Violation[] {
  // Hot path: most events are valid, and avsc's compiled check without an errorHook is ~100× cheaper.
  const violations: Violation[] = []
  if (type.isValid(properties)) {
    collectUndeclared(type, properties, prefix, violations)
    return violations
  }
  type.isValid(properties, {
    errorHook: (path: string[], value: unknown, fieldType: avro.Type) => {
      const at = [prefix, ...path].join('.')
      const expected = describeType(fieldType)
      if (value === undefined) {
        violations.push({ path: at, kind: 'missing_field', expected, actual: 'missing', message: `${at}: required field is missing (expected ${expected})` })
      } else {
        const actual = describeValue(value)
        violations.push({ path: at, kind: 'type_mismatch', expected, actual, message: `${at}: expected ${expected}, got ${actual}` })
      }
    },
  })
  collectUndeclared(type, properties, prefix, violations)
  return violations
}

function collectUndeclared(type: avro.Type, value: unknown, at: string, out: Violation[]): void {
  const t = type as any
  switch (t.typeName) {
    case 'record':
    case 'error': {
      if (!isPlainObject(value)) return
      const declared = declaredFields(t)
      for (const key in value) {
        const v = value[key]
        const fieldType = declared.get(key)
        const path = `${at}.${key}`
        if (fieldType) collectUndeclared(fieldType, v, path, out)
        else {
          const known = [...declared.keys()].join(', ')
          out.push({
            path,
            kind: 'unknown_field',
            expected: `one of the declared fields (${known})`,
            actual: describeValue(v),
            message: `${path}: field is not declared in ${t.name}; declared fields are ${known}`,
          })
        }
      }
      return
    }
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => collectUndeclared(t.itemsType, v, `${at}.${i}`, out))
      return
    case 'map':
      if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) collectUndeclared(t.valuesType, v, `${at}.${k}`, out)
      return
    case 'union:unwrapped': {
      const branch = (t.types as avro.Type[]).find((b) => b.isValid(value))
      if (branch) collectUndeclared(branch, value, at, out)
      return
    }
    case 'union:wrapped': {
      if (!isPlainObject(value)) return
      const [name] = Object.keys(value)
      const branch = (t.types as any[]).find((b) => b.branchName === name)
      if (branch) collectUndeclared(branch, value[name], `${at}.${name}`, out)
      return
    }
    default:
      return
  }
}

const declaredByType = new WeakMap<object, Map<string, avro.Type>>()

function declaredFields(t: any): Map<string, avro.Type> {
  let declared = declaredByType.get(t)
  if (!declared) declaredByType.set(t, (declared = new Map(t.fields.map((f: any) => [f.name, f.type]))))
  return declared
}

/** How a schema type reads in an error message: `long`, `null | long`, `enum LoginMethod {PASSWORD, SSO}`. */
export function describeType(type: avro.Type): string {
  const t = type as any
  switch (t.typeName) {
    case 'record':
    case 'error':
      return `record ${t.name}`
    case 'enum':
      return `enum ${t.name} {${t.symbols.join(', ')}}`
    case 'array':
      return `array<${describeType(t.itemsType)}>`
    case 'map':
      return `map<${describeType(t.valuesType)}>`
    case 'fixed':
      return `fixed(${t.size})`
    case 'union:unwrapped':
    case 'union:wrapped':
      return (t.types as avro.Type[]).map(describeType).join(' | ')
    default:
      return t.typeName
  }
}

/** The JSON kind of a value, with a short rendering of scalars. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
    case 'number':
      if (!Number.isInteger(value)) return `number ${value}`
      return Number.isSafeInteger(value) ? `integer ${value}` : `integer ${value} (beyond 2^53, not exact)`
    case 'boolean':
      return `boolean ${value}`
    case 'object':
      return 'object'
    default:
      return typeof value
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
