import type { CompatibilityLevel } from './compatibility.js'
import type { Mode, SchemaReference, UnknownProperties } from './schema-store.js'

/** A whole registry in one JSON document: every version (soft-deleted ones too) with its id, and the settings. */
export interface RegistryExport {
  format: 'pulse-registry-export'
  formatVersion: 1
  exportedAt: string
  compatibility: CompatibilityLevel
  subjects: {
    subject: string
    compatibility?: CompatibilityLevel
    /** Pulse's subject setting for undeclared event properties (absent: the gateway's default). */
    unknownProperties?: UnknownProperties
    mode?: Mode
    versions: { version: number; id: number; schema: string; references?: SchemaReference[]; deleted?: boolean }[]
  }[]
}

/**
 * Pure: reads an export in any of the shapes people move registries with — Pulse's own export, a list of
 * Confluent REST subject-version objects ({subject, version, id, schema}), or the records of a Confluent
 * registry's `_schemas` topic ({key: {keytype, subject, version}, value}) as an array or JSON lines.
 */
export function parseRegistryExport(text: string): RegistryExport {
  const trimmed = text.trim()
  let doc: unknown
  try {
    doc = JSON.parse(trimmed)
  } catch {
    doc = trimmed.split('\n').filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l)
      } catch (err) {
        throw new Error(`line ${i + 1} is not JSON: ${(err as Error).message}`)
      }
    })
  }
  if (doc && typeof doc === 'object' && (doc as RegistryExport).format === 'pulse-registry-export') return doc as RegistryExport
  if (!Array.isArray(doc)) throw new Error('unrecognised export: expected a Pulse export, an array of subject versions, or _schemas topic records')

  const bySubject = new Map<string, RegistryExport['subjects'][number]>()
  const subjectEntry = (s: string) => {
    let e = bySubject.get(s)
    if (!e) bySubject.set(s, (e = { subject: s, versions: [] }))
    return e
  }
  let compatibility: CompatibilityLevel = 'BACKWARD'
  for (const [i, raw] of doc.entries()) {
    const r = raw as Record<string, any>
    if (r && 'key' in r) {
      // A _schemas topic record: the latest record for a key wins; a null value deletes it.
      const key = typeof r.key === 'string' ? JSON.parse(r.key) : r.key
      const value = typeof r.value === 'string' ? JSON.parse(r.value) : r.value
      if (key?.keytype === 'SCHEMA') {
        const e = subjectEntry(key.subject)
        e.versions = e.versions.filter((v) => v.version !== key.version)
        if (value) e.versions.push({ version: value.version, id: value.id, schema: value.schema, references: value.references, deleted: value.deleted === true })
      } else if (key?.keytype === 'CONFIG') {
        const level = value?.compatibilityLevel ?? value?.compatibility
        if (key.subject) subjectEntry(key.subject).compatibility = level ?? undefined
        else if (level) compatibility = level
      } else if (key?.keytype === 'DELETE_SUBJECT' && key.subject) {
        for (const v of subjectEntry(key.subject).versions) v.deleted = true
      }
      continue
    }
    if (r && typeof r.subject === 'string' && Number.isInteger(r.version) && Number.isInteger(r.id) && typeof r.schema === 'string') {
      if (r.schemaType && r.schemaType !== 'AVRO') throw new Error(`entry ${i + 1}: ${r.schemaType} schemas are not supported`)
      subjectEntry(r.subject).versions.push({ version: r.version, id: r.id, schema: r.schema, references: r.references, deleted: r.deleted === true })
      continue
    }
    throw new Error(`entry ${i + 1} is neither a subject version nor a _schemas record: ${JSON.stringify(raw).slice(0, 120)}`)
  }
  for (const e of bySubject.values()) e.versions.sort((a, b) => a.version - b.version)
  return {
    format: 'pulse-registry-export',
    formatVersion: 1,
    exportedAt: new Date().toISOString(),
    compatibility,
    subjects: [...bySubject.values()].filter((e) => e.versions.length).sort((a, b) => a.subject.localeCompare(b.subject)),
  }
}

/**
 * Pure: the order in which versions can be imported — a version's references before it — so an import over
 * the REST API never registers a schema whose referenced type is not known yet.
 */
export function importOrder(exp: RegistryExport): { subject: string; version: RegistryExport['subjects'][number]['versions'][number] }[] {
  const all = exp.subjects.flatMap((s) => s.versions.map((v) => ({ subject: s.subject, version: v })))
  const key = (subject: string, version: number) => `${subject}@${version}`
  const byKey = new Map(all.map((x) => [key(x.subject, x.version.version), x]))
  const done = new Set<string>()
  const out: typeof all = []
  const visit = (x: (typeof all)[number], depth: number) => {
    const k = key(x.subject, x.version.version)
    if (done.has(k)) return
    if (depth > 64) throw new Error(`schema references around ${k} form a cycle`)
    for (const ref of x.version.references ?? []) {
      const target = byKey.get(key(ref.subject, ref.version))
      if (target) visit(target, depth + 1)
    }
    done.add(k)
    out.push(x)
  }
  for (const x of all.sort((a, b) => a.version.id - b.version.id)) visit(x, 0)
  return out
}
