import fs from 'node:fs'
import path from 'node:path'
import avro from 'avsc'
import { compatibilityReasons, type CompatibilityLevel } from './compatibility.js'
import { errors } from './errors.js'
import { schemaIdentity } from './schema-identity.js'

export interface StoredSchema {
  id: number
  /** The text as first registered, returned verbatim to clients. */
  schema: string
  identity: string
}

export interface SubjectVersion {
  subject: string
  version: number
  id: number
}

/** One line of the append-only log: the registry's whole state is the replay of these. */
type LogEntry =
  | { op: 'schema'; id: number; schema: string }
  | { op: 'version'; subject: string; version: number; id: number }
  | { op: 'config'; subject: string | null; compatibility: CompatibilityLevel | null }

/**
 * The registry's state, kept in memory and made durable as an fsynced append-only log in the data directory.
 * Mutations are synchronous after validation, so concurrent requests in this process can never hand out two
 * ids for one schema or one id for two schemas.
 */
export class SchemaStore {
  private readonly schemas = new Map<number, StoredSchema>()
  private readonly typesById = new Map<number, avro.Type>()
  private readonly idByIdentity = new Map<string, number>()
  private readonly subjects = new Map<string, SubjectVersion[]>()
  private readonly subjectConfig = new Map<string, CompatibilityLevel>()
  private globalCompatibility: CompatibilityLevel = 'BACKWARD'
  private maxId = 0
  private fd: number | undefined

  private constructor(private readonly logFile: string | undefined) {}

  /** Opens (and replays) the store at `dir`; without a dir the store lives in memory only. */
  static open(dir?: string): SchemaStore {
    if (!dir) return new SchemaStore(undefined)
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, 'registry.log.jsonl')
    const store = new SchemaStore(file)
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n')
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue
        let entry: LogEntry
        try {
          entry = JSON.parse(line)
        } catch {
          // Only the last line can be torn (a crash mid-append); anything earlier is corruption.
          if (i >= lines.length - 2) break
          throw new Error(`${file}:${i + 1} is not valid JSON; the registry log is corrupt`)
        }
        store.apply(entry)
      }
    }
    store.fd = fs.openSync(file, 'a')
    return store
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
  }

  private write(entries: LogEntry[]): void {
    if (this.fd !== undefined) {
      fs.writeSync(this.fd, entries.map((e) => JSON.stringify(e) + '\n').join(''))
      fs.fsyncSync(this.fd)
    }
    for (const e of entries) this.apply(e)
  }

  private apply(e: LogEntry): void {
    switch (e.op) {
      case 'schema': {
        const parsed = JSON.parse(e.schema)
        const identity = schemaIdentity(parsed)
        this.schemas.set(e.id, { id: e.id, schema: e.schema, identity })
        this.typesById.set(e.id, avro.Type.forSchema(parsed))
        this.idByIdentity.set(identity, e.id)
        this.maxId = Math.max(this.maxId, e.id)
        break
      }
      case 'version': {
        const list = this.subjects.get(e.subject) ?? []
        list.push({ subject: e.subject, version: e.version, id: e.id })
        this.subjects.set(e.subject, list)
        break
      }
      case 'config':
        if (e.subject === null) this.globalCompatibility = e.compatibility ?? 'BACKWARD'
        else if (e.compatibility === null) this.subjectConfig.delete(e.subject)
        else this.subjectConfig.set(e.subject, e.compatibility)
        break
    }
  }

  /** Registers `schemaText` under `subject`, or returns the existing version when the subject already has it. */
  register(subject: string, schemaText: string): SubjectVersion {
    const { parsed, type } = parseAvro(schemaText)
    const identity = schemaIdentity(parsed)
    const versions = this.subjects.get(subject) ?? []
    const existingId = this.idByIdentity.get(identity)
    const same = existingId === undefined ? undefined : versions.find((v) => v.id === existingId)
    if (same) return same

    const reasons = compatibilityReasons(
      this.compatibility(subject),
      type,
      versions.map((v) => ({ version: v.version, type: this.typesById.get(v.id)! })),
    )
    if (reasons.length) throw errors.incompatible(reasons)

    const entries: LogEntry[] = []
    let id = existingId
    if (id === undefined) {
      id = this.maxId + 1
      entries.push({ op: 'schema', id, schema: schemaText })
    }
    const version = (versions.at(-1)?.version ?? 0) + 1
    entries.push({ op: 'version', subject, version, id })
    this.write(entries)
    return { subject, version, id }
  }

  /** The reasons `schemaText` would be refused against `version` (or every version, for transitive levels). */
  checkCompatibility(subject: string, schemaText: string, version: string): string[] {
    const { type } = parseAvro(schemaText)
    const level = this.compatibility(subject)
    const versions = this.subjects.get(subject)
    if (!versions?.length) throw errors.subjectNotFound(subject)
    const against = level.endsWith('_TRANSITIVE') ? versions : [this.version(subject, version)]
    return compatibilityReasons(
      level,
      type,
      against.map((v) => ({ version: v.version, type: this.typesById.get(v.id)! })),
    )
  }

  lookup(subject: string, schemaText: string): SubjectVersion {
    const versions = this.subjects.get(subject)
    if (!versions?.length) throw errors.subjectNotFound(subject)
    const { parsed } = parseAvro(schemaText)
    const id = this.idByIdentity.get(schemaIdentity(parsed))
    const found = versions.find((v) => v.id === id)
    if (!found) throw errors.schemaNotFound()
    return found
  }

  subjectNames(): string[] {
    return [...this.subjects.keys()].filter((s) => this.subjects.get(s)!.length > 0).sort()
  }

  versions(subject: string): number[] {
    const versions = this.subjects.get(subject)
    if (!versions?.length) throw errors.subjectNotFound(subject)
    return versions.map((v) => v.version)
  }

  /** `version` is a number or "latest", as in the REST paths. */
  version(subject: string, version: string): SubjectVersion {
    const versions = this.subjects.get(subject)
    if (!versions?.length) throw errors.subjectNotFound(subject)
    if (version === 'latest' || version === '-1') return versions.at(-1)!
    const n = Number(version)
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw errors.invalidVersion(version)
    const found = versions.find((v) => v.version === n)
    if (!found) throw errors.versionNotFound(subject, n)
    return found
  }

  schemaById(id: number): StoredSchema {
    const s = this.schemas.get(id)
    if (!s) throw errors.schemaNotFound(`Schema ${id} not found`)
    return s
  }

  subjectVersionsOf(id: number): SubjectVersion[] {
    this.schemaById(id)
    return [...this.subjects.values()].flat().filter((v) => v.id === id)
  }

  compatibility(subject?: string): CompatibilityLevel {
    return (subject && this.subjectConfig.get(subject)) || this.globalCompatibility
  }

  subjectCompatibility(subject: string): CompatibilityLevel | undefined {
    return this.subjectConfig.get(subject)
  }

  setCompatibility(subject: string | null, compatibility: CompatibilityLevel | null): void {
    this.write([{ op: 'config', subject, compatibility }])
  }
}

function parseAvro(schemaText: string): { parsed: unknown; type: avro.Type } {
  let parsed: unknown
  try {
    parsed = JSON.parse(schemaText)
  } catch (err) {
    throw errors.invalidSchema(`not JSON: ${(err as Error).message}`)
  }
  try {
    return { parsed, type: avro.Type.forSchema(parsed as avro.Schema) }
  } catch (err) {
    throw errors.invalidSchema((err as Error).message)
  }
}
