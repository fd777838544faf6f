import { execFileSync } from 'node:child_process'
import path from 'node:path'
import avro from 'avsc'
import { compatibilityReasons, isCompatibilityLevel, type CompatibilityLevel } from '../registry/compatibility.js'
import { parseAvroSchema } from '../registry/avro-schema.js'
import { registryRest, type RegistryTarget } from '../registry/rest-client.js'
import { schemaIdentity } from '../registry/schema-identity.js'
import type { CatalogEntry } from './index.js'
import { lintSchema } from './lint.js'

/** What a subject looked like before: its live versions, oldest first, and its compatibility level. */
export interface BaselineSubject {
  level: CompatibilityLevel
  versions: { version: number; schema: string }[]
}
export type Baseline = Map<string, BaselineSubject>

export interface Finding {
  severity: 'error' | 'warning'
  path: string
  message: string
  /** 1-based line in the schema file the finding points at. */
  line: number
}

export interface SchemaCheck {
  subject: string
  file: string
  status: 'added' | 'changed' | 'unchanged' | 'removed' | 'invalid'
  level?: CompatibilityLevel
  /** Versions the change was checked against. */
  against: number[]
  findings: Finding[]
}

export interface CheckReport {
  baseline: string
  checks: SchemaCheck[]
  incompatible: number
  warnings: number
}

/** Pure: the verdict for every added or changed catalog schema against the baseline, plus lint. */
export function checkCatalog(entries: CatalogEntry[], baseline: Baseline, baselineName: string, defaultLevel: CompatibilityLevel = 'BACKWARD'): CheckReport {
  const checks: SchemaCheck[] = []
  for (const entry of entries) {
    const before = baseline.get(entry.subject)
    const level = before?.level ?? defaultLevel
    let parsed: unknown
    let type: avro.Type
    try {
      parsed = JSON.parse(entry.schema)
      type = parseAvroSchema(parsed)
    } catch (err) {
      checks.push({ subject: entry.subject, file: entry.file, status: 'invalid', level, against: [], findings: [{ severity: 'error', path: 'schema', message: `not a valid Avro schema: ${(err as Error).message}`, line: 1 }] })
      continue
    }
    const latest = before?.versions.at(-1)
    if (latest && schemaIdentity(JSON.parse(latest.schema)) === schemaIdentity(parsed)) {
      checks.push({ subject: entry.subject, file: entry.file, status: 'unchanged', level, against: [], findings: [] })
      continue
    }
    const history = (before?.versions ?? []).map((v) => ({ version: v.version, type: parseAvroSchema(JSON.parse(v.schema)) }))
    const against = !history.length || level === 'NONE' ? [] : level.endsWith('_TRANSITIVE') ? history.map((h) => h.version) : [history.at(-1)!.version]
    const findings: Finding[] = compatibilityReasons(level, type, history).map((reason) => {
      const p = reason.slice(0, reason.indexOf(':'))
      return { severity: 'error' as const, path: p, message: reason, line: lineOf(entry.schema, p) }
    })
    const previousFields = latest ? new Set<string>((JSON.parse(latest.schema).fields ?? []).map((f: { name: string }) => f.name)) : undefined
    for (const l of lintSchema(entry.subject, parsed, previousFields)) {
      findings.push({ severity: 'warning', path: l.path, message: `${l.path}: ${l.message}`, line: lineOf(entry.schema, l.path) })
    }
    checks.push({ subject: entry.subject, file: entry.file, status: latest ? 'changed' : 'added', level, against, findings })
  }
  const present = new Set(entries.map((e) => e.subject))
  for (const [subject, before] of baseline) {
    if (present.has(subject) || !before.versions.length) continue
    checks.push({
      subject,
      file: `${subject}.avsc`,
      status: 'removed',
      level: before.level,
      against: [],
      findings: [{ severity: 'warning', path: 'schema', message: `${subject}: the schema file was removed; producers of this event will be refused once it is deleted from the registry`, line: 1 }],
    })
  }
  const all = checks.flatMap((c) => c.findings)
  return { baseline: baselineName, checks, incompatible: all.filter((f) => f.severity === 'error').length, warnings: all.filter((f) => f.severity === 'warning').length }
}

/** The line declaring the field at the end of `p` (e.g. properties.address.zip → "zip"), or 1. */
function lineOf(text: string, p: string): number {
  const field = p.split('.').pop()!.replace(/[[\]{}]/g, '')
  if (!field || field === 'properties' || field === 'schema' || field === 'event') return 1
  const lines = text.split('\n')
  const i = lines.findIndex((l) => new RegExp(`"name"\\s*:\\s*"${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(l))
  return i >= 0 ? i + 1 : 1
}

/** The catalog as it was at a git ref: no server needed, the compatibility level from `level`. */
export function baselineFromGit(dir: string, ref: string, level: CompatibilityLevel): Baseline {
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const top = run(dir, ['rev-parse', '--show-toplevel']).trim()
  // From the top level: ls-tree filters what it lists by the working directory.
  const git = (...args: string[]) => run(top, args)
  const rel = path.relative(top, path.resolve(dir)) || '.'
  try {
    git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`)
  } catch {
    throw new Error(`"${ref}" is not a commit in ${top}`)
  }
  let files: string[]
  try {
    files = git('ls-tree', '--name-only', `${ref}:${rel}`).split('\n').filter((f) => f.endsWith('.avsc'))
  } catch {
    // The ref is from before the catalog folder existed: every schema is new.
    return new Map()
  }
  const baseline: Baseline = new Map()
  for (const f of files) {
    baseline.set(f.slice(0, -'.avsc'.length), { level, versions: [{ version: 1, schema: git('show', `${ref}:${rel === '.' ? '' : `${rel}/`}${f}`) }] })
  }
  return baseline
}

/** Every live version and the effective compatibility level of the catalog's subjects, from a registry. */
export async function baselineFromRegistry(registry: string | RegistryTarget, subjects: string[]): Promise<Baseline> {
  const call = registryRest(registry)
  const get = async (p: string) => {
    const r = await call('GET', p)
    // A refused key must not read as an empty registry (every schema new, every check passing).
    if (r.status === 401 || r.status === 403) throw new Error(`the registry refused GET ${p} (${r.status}): ${r.body?.message ?? ''}`)
    return r
  }
  const baseline: Baseline = new Map()
  const known = new Set<string>((await get('/subjects')).body)
  for (const subject of subjects.filter((s) => known.has(s))) {
    const s = encodeURIComponent(subject)
    const config = await get(`/config/${s}?defaultToGlobal=true`)
    const level = isCompatibilityLevel(config.body?.compatibilityLevel) ? config.body.compatibilityLevel : 'BACKWARD'
    const numbers: number[] = (await get(`/subjects/${s}/versions`)).body
    const versions = []
    for (const n of numbers) versions.push({ version: n, schema: (await get(`/subjects/${s}/versions/${n}`)).body.schema as string })
    baseline.set(subject, { level, versions })
  }
  return baseline
}
