/** A lint finding about one schema: style and documentation, never a verdict on compatibility. */
export interface LintFinding {
  path: string
  message: string
}

const PASCAL = /^[A-Z][A-Za-z0-9]*$/
const CAMEL = /^[a-z][A-Za-z0-9]*$/
const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/
const SNAKE = /^[a-z][a-z0-9_]*$/

/**
 * Pure: house rules for the event catalog. Every record, field and named type documents itself; names follow
 * Avro and JSON conventions (PascalCase types, camelCase fields, UPPER_SNAKE enum symbols, snake_case events);
 * a field that is new since `previousFields` should have a default, or older events cannot be read with it.
 */
export function lintSchema(subject: string, schema: unknown, previousFields?: Set<string>): LintFinding[] {
  const findings: LintFinding[] = []
  if (!SNAKE.test(subject)) findings.push({ path: 'event', message: `event name "${subject}" should be snake_case` })
  walk(schema, 'properties', findings, true, previousFields)
  return findings
}

function walk(node: unknown, path: string, out: LintFinding[], root: boolean, previousFields?: Set<string>): void {
  if (Array.isArray(node)) {
    for (const branch of node) walk(branch, path, out, false)
    return
  }
  if (!node || typeof node !== 'object') return
  const t = node as Record<string, any>
  const named = ['record', 'error', 'enum', 'fixed'].includes(t.type)
  if (named) {
    const short = String(t.name ?? '').split('.').pop()!
    if (!PASCAL.test(short)) out.push({ path, message: `type name "${short}" should be PascalCase` })
    if (!t.doc && (root || t.type !== 'fixed')) out.push({ path, message: `${t.type} ${short} has no "doc"` })
  }
  if (t.type === 'enum') {
    const bad = (t.symbols as string[]).filter((s) => !UPPER_SNAKE.test(s))
    if (bad.length) out.push({ path, message: `enum symbols ${bad.join(', ')} should be UPPER_SNAKE_CASE` })
    if (t.default === undefined) out.push({ path, message: `enum ${t.name} has no "default" symbol, so adding a symbol later breaks older readers` })
  }
  if (t.type === 'record' || t.type === 'error') {
    for (const f of t.fields as Record<string, any>[]) {
      const fieldPath = `${path}.${f.name}`
      if (!CAMEL.test(f.name)) out.push({ path: fieldPath, message: `field name "${f.name}" should be camelCase` })
      if (!f.doc) out.push({ path: fieldPath, message: 'field has no "doc"' })
      if (root && previousFields && !previousFields.has(f.name) && f.default === undefined) {
        out.push({ path: fieldPath, message: 'new field has no "default": events written before this version cannot be read with it' })
      }
      walk(f.type, fieldPath, out, false)
    }
  }
  if (t.type === 'array') walk(t.items, `${path}[]`, out, false)
  if (t.type === 'map') walk(t.values, `${path}{}`, out, false)
}
