const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])
const NAMED = new Set(['record', 'error', 'enum', 'fixed'])

/**
 * The form that decides a schema's identity (and so its global id): the Avro Parsing Canonical Form's
 * rules for names (every name fully qualified, `namespace` folded in), with whitespace, key order and `doc`
 * ignored. Unlike the bare canonical form it keeps `default`, `aliases`, `logicalType` and the like,
 * because those change how data resolves: two schemas differing only in a default must not share an id.
 * Hand-written because avsc's schema export drops logical types and enum defaults.
 */
export function schemaIdentity(schema: unknown): string {
  return JSON.stringify(normalize(schema, ''))
}

function normalize(node: unknown, namespace: string): unknown {
  if (typeof node === 'string') return PRIMITIVES.has(node) || node.includes('.') || !namespace ? node : `${namespace}.${node}`
  if (Array.isArray(node)) return node.map((n) => normalize(n, namespace))
  if (!node || typeof node !== 'object') return node
  const obj = node as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => k !== 'doc' && k !== 'namespace').sort()
  // {"type": "string"} and "string" are the same primitive.
  if (keys.length === 1 && keys[0] === 'type' && typeof obj.type === 'string') return normalize(obj.type, namespace)

  let inner = namespace
  const out: Record<string, unknown> = {}
  if (NAMED.has(obj.type as string) && typeof obj.name === 'string') {
    const ns = typeof obj.namespace === 'string' ? obj.namespace : namespace
    const full = obj.name.includes('.') || !ns ? obj.name : `${ns}.${obj.name}`
    inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : ''
    out.name = full
  }
  for (const k of keys) {
    if (k === 'name' && 'name' in out) continue
    if (k === 'default' || k === 'symbols') out[k] = obj[k]
    else if (k === 'fields') out[k] = (obj.fields as unknown[]).map((f) => normalizeField(f, inner))
    else out[k] = normalize(obj[k], inner)
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]))
}

function normalizeField(field: unknown, namespace: string): unknown {
  if (!field || typeof field !== 'object') return field
  const f = field as Record<string, unknown>
  return Object.fromEntries(
    Object.keys(f)
      .filter((k) => k !== 'doc')
      .sort()
      .map((k) => [k, k === 'type' ? normalize(f[k], namespace) : f[k]]),
  )
}
