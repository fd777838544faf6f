/**
 * The form that decides a schema's identity (and so its global id). Whitespace, key order and `doc` never
 * change it. Unlike the bare Parsing Canonical Form it keeps `default`, `aliases`, `logicalType` and the like,
 * because those change how data resolves: two schemas differing only in a default must not share an id.
 * Hand-written because avsc's schema export drops logical types and enum defaults.
 */
export function schemaIdentity(schema: unknown): string {
  return JSON.stringify(normalize(schema))
}

function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize)
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>
    const keys = Object.keys(obj).filter((k) => k !== 'doc').sort()
    // {"type": "string"} and "string" are the same primitive.
    if (keys.length === 1 && keys[0] === 'type' && typeof obj.type === 'string') return obj.type
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = k === 'default' ? obj[k] : normalize(obj[k])
    return out
  }
  return node
}
