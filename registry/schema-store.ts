import fs from 'node:fs'
import path from 'node:path'
import avro from 'avsc'
import { parseAvroSchema } from './avro-schema.js'
import { compatibilityReasons, type CompatibilityLevel } from './compatibility.js'
import { errors } from './errors.js'
import { schemaIdentity } from './schema-identity.js'

export interface SchemaReference {
  /** For Avro, the full name of the type the referenced schema defines. */
  name: string
  subject: string
  version: number
}

export interface StoredSchema {
  id: number
  /** The text as first registered, returned verbatim to clients. */
  schema: string
  references: SchemaReference[]
  identity: string
}

export interface SubjectVersion {
  subject: string
  version: number
  id: number
  deleted: boolean
}

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const
export type Mode = (typeof MODES)[number]

export function isMode(v: unknown): v is Mode {
  return typeof v === 'string' && (MODES as readonly string[]).includes(v)
}

/**
 * Pulse's extension of a subject's config: what the gateway does with properties the schema does not
 * declare — refuse the event (REJECT, the default) or accept it and report the drift (REPORT).
 * Confluent clients ignore the extra field; other registries simply never return it.
 */
export const UNKNOWN_PROPERTIES = ['REJECT', 'REPORT'] as const
export type UnknownProperties = (typeof UNKNOWN_PROPERTIES)[number]

export function isUnknownProperties(v: unknown): v is UnknownProperties {
  return typeof v === 'string' && (UNKNOWN_PROPERTIES as readonly string[]).includes(v)
}

/** One line of the append-only log: the registry's whole state is the replay of these. */
export type LogEntry =
  | { op: 'schema'; id: number; schema: string; references?: SchemaReference[] }
  | { op: 'version'; subject: string; version: number; id: number }
  | { op: 'delete'; subject: string; version: number; permanent: boolean }
  | { op: 'config'; subject: string | null; compatibility: CompatibilityLevel | null }
  | { op: 'mode'; subject: string | null; mode: Mode | null }
  | { op: 'unknownProperties'; subject: string; unknownProperties: UnknownProperties | null }

export interface RegisterOptions {
  references?: SchemaReference[]
  /** Only in IMPORT mode: keep the id and version the schema had elsewhere. */
  id?: number
  version?: number
}

/**
 * The registry's state, kept in memory and made durable as an fsynced append-only log in the data directory.
 * Mutations are synchronous once validated, so concurrent requests can never hand out two ids for one
 * schema or one id for two schemas. Ids only grow: a permanently deleted id is never handed out again,
 * and its deletion is in the log, so it does not come back after a restart.
 */
export class SchemaStore {
  private readonly schemas = new Map<number, StoredSchema>()
  private readonly typesById = new Map<number, avro.Type>()
  private readonly idByIdentity = new Map<string, number>()
  private readonly subjects = new Map<string, SubjectVersion[]>()
  private readonly subjectConfig = new Map<string, CompatibilityLevel>()
  private readonly subjectMode = new Map<string, Mode>()
  private readonly subjectUnknownProperties = new Map<string, UnknownProperties>()
  private globalCompatibility: CompatibilityLevel = 'BACKWARD'
  private globalMode: Mode = 'READWRITE'
  private maxId = 0
  private fd: number | undefined
  private closed = false

  private constructor() {}

  /** Opens (and replays) the store in `dir`; without a dir the store lives in memory only. */
  static open(dir?: string): SchemaStore {
    const store = new SchemaStore()
    if (!dir) return store
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, 'registry.log.jsonl')
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
    this.closed = true
  }

  private write(entries: LogEntry[]): void {
    // Nothing may change in memory that the log did not take: a closed store refuses writes.
    if (this.closed) throw new Error('the registry store is closed')
    if (this.fd !== undefined) {
      fs.writeSync(this.fd, entries.map((e) => JSON.stringify(e) + '\n').join(''))
      fs.fsyncSync(this.fd)
    }
    for (const e of entries) this.apply(e)
  }

  private apply(e: LogEntry): void {
    switch (e.op) {
      case 'schema': {
        const references = e.references ?? []
        const { parsed, type } = this.parse(e.schema, references)
        const identity = identityOf(parsed, references)
        this.schemas.set(e.id, { id: e.id, schema: e.schema, references, identity })
        this.typesById.set(e.id, type)
        this.idByIdentity.set(identity, e.id)
        this.maxId = Math.max(this.maxId, e.id)
        break
      }
      case 'version': {
        const list = this.subjects.get(e.subject) ?? []
        list.push({ subject: e.subject, version: e.version, id: e.id, deleted: false })
        list.sort((a, b) => a.version - b.version)
        this.subjects.set(e.subject, list)
        break
      }
      case 'delete': {
        const list = this.subjects.get(e.subject) ?? []
        const i = list.findIndex((v) => v.version === e.version)
        if (i < 0) break
        if (!e.permanent) {
          list[i] = { ...list[i], deleted: true }
          break
        }
        const [removed] = list.splice(i, 1)
        if (!list.length) this.subjects.delete(e.subject)
        if (!this.allVersions().some((v) => v.id === removed.id)) this.forgetSchema(removed.id)
        break
      }
      case 'config':
        if (e.subject === null) this.globalCompatibility = e.compatibility ?? 'BACKWARD'
        else if (e.compatibility === null) this.subjectConfig.delete(e.subject)
        else this.subjectConfig.set(e.subject, e.compatibility)
        break
      case 'unknownProperties':
        if (e.unknownProperties === null) this.subjectUnknownProperties.delete(e.subject)
        else this.subjectUnknownProperties.set(e.subject, e.unknownProperties)
        break
      case 'mode':
        if (e.subject === null) this.globalMode = e.mode ?? 'READWRITE'
        else if (e.mode === null) this.subjectMode.delete(e.subject)
        else this.subjectMode.set(e.subject, e.mode)
        break
    }
  }

  private forgetSchema(id: number): void {
    const s = this.schemas.get(id)
    if (!s) return
    this.schemas.delete(id)
    this.typesById.delete(id)
    if (this.idByIdentity.get(s.identity) === id) this.idByIdentity.delete(s.identity)
  }

  private allVersions(): SubjectVersion[] {
    return [...this.subjects.values()].flat()
  }

  private live(subject: string): SubjectVersion[] {
    return (this.subjects.get(subject) ?? []).filter((v) => !v.deleted)
  }

  /** Parses Avro text, with the named types of its references (and theirs) known to the parser. */
  private parse(schemaText: string, references: SchemaReference[]): { parsed: unknown; type: avro.Type } {
    let parsed: unknown
    try {
      parsed = JSON.parse(schemaText)
    } catch (err) {
      throw errors.invalidSchema(`not JSON: ${(err as Error).message}`)
    }
    const registry: Record<string, avro.Type> = {}
    const load = (refs: SchemaReference[], depth: number) => {
      if (depth > 32) throw errors.invalidSchema('schema references nest more than 32 deep (a cycle?)')
      for (const ref of refs) {
        if (!ref || typeof ref.subject !== 'string' || typeof ref.name !== 'string' || !Number.isInteger(ref.version)) {
          throw errors.invalidSchema(`a reference must be {"name", "subject", "version"}; got ${JSON.stringify(ref)}`)
        }
        const target = (this.subjects.get(ref.subject) ?? []).find((v) => v.version === ref.version)
        const stored = target && this.schemas.get(target.id)
        if (!stored) throw errors.invalidSchema(`reference ${ref.name} points at ${ref.subject} version ${ref.version}, which does not exist`)
        load(stored.references, depth + 1)
        try {
          parseAvroSchema(JSON.parse(stored.schema), registry)
        } catch (err) {
          throw errors.invalidSchema(`referenced schema ${ref.subject} version ${ref.version}: ${(err as Error).message}`)
        }
      }
    }
    load(references, 0)
    try {
      return { parsed, type: parseAvroSchema(parsed, registry) }
    } catch (err) {
      throw errors.invalidSchema((err as Error).message)
    }
  }

  private assertWritable(subject: string): Mode {
    const mode = this.mode(subject)
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw errors.notPermitted(`Subject '${subject}' is in read-only mode`)
    return mode
  }

  /** Registers `schemaText` under `subject`, or returns the live version that already holds it. */
  register(subject: string, schemaText: string, opts: RegisterOptions = {}): SubjectVersion {
    const mode = this.assertWritable(subject)
    const references = opts.references ?? []
    const { parsed, type } = this.parse(schemaText, references)
    const identity = identityOf(parsed, references)
    const versions = this.subjects.get(subject) ?? []
    const knownId = this.idByIdentity.get(identity)

    if (opts.id !== undefined || opts.version !== undefined) {
      if (mode !== 'IMPORT') throw errors.notPermitted(`an id or version can only be given in IMPORT mode (subject '${subject}' is ${mode})`)
    }
    if (mode !== 'IMPORT' || opts.id === undefined) {
      const same = knownId === undefined ? undefined : versions.find((v) => v.id === knownId && !v.deleted)
      if (same) return same
    }

    const entries: LogEntry[] = []
    let id = knownId
    if (mode === 'IMPORT' && opts.id !== undefined) {
      if (!Number.isInteger(opts.id) || opts.id < 1) throw errors.badRequest(`id must be a positive integer, got ${JSON.stringify(opts.id)}`)
      const holder = this.schemas.get(opts.id)
      if (holder && holder.identity !== identity) throw errors.idConflict(opts.id)
      id = opts.id
      if (!holder) entries.push({ op: 'schema', id, schema: schemaText, ...(references.length ? { references } : {}) })
    } else {
      if (mode !== 'IMPORT') {
        const reasons = compatibilityReasons(
          this.compatibility(subject),
          type,
          this.live(subject).map((v) => ({ version: v.version, type: this.typesById.get(v.id)! })),
        )
        if (reasons.length) throw errors.incompatible(reasons)
      }
      if (id === undefined) {
        id = this.maxId + 1
        entries.push({ op: 'schema', id, schema: schemaText, ...(references.length ? { references } : {}) })
      }
    }

    let version = (versions.at(-1)?.version ?? 0) + 1
    if (opts.version !== undefined) {
      if (!Number.isInteger(opts.version) || opts.version < 1) throw errors.invalidVersion(String(opts.version))
      const taken = versions.find((v) => v.version === opts.version)
      if (taken) {
        if (taken.id === id) return taken
        throw errors.notPermitted(`Subject '${subject}' already has a version ${opts.version} with a different schema`)
      }
      version = opts.version
    }
    entries.push({ op: 'version', subject, version, id })
    this.write(entries)
    return { subject, version, id, deleted: false }
  }

  /** The reasons `schemaText` would be refused against `version` (or every live version, for transitive levels). */
  checkCompatibility(subject: string, schemaText: string, version: string, references: SchemaReference[] = []): string[] {
    const { type } = this.parse(schemaText, references)
    const level = this.compatibility(subject)
    const live = this.live(subject)
    if (!live.length) throw errors.subjectNotFound(subject)
    const against = level.endsWith('_TRANSITIVE') ? live : [this.version(subject, version)]
    return compatibilityReasons(
      level,
      type,
      against.map((v) => ({ version: v.version, type: this.typesById.get(v.id)! })),
    )
  }

  lookup(subject: string, schemaText: string, references: SchemaReference[] = [], includeDeleted = false): SubjectVersion {
    const versions = (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted)
    if (!versions.length) throw errors.subjectNotFound(subject)
    const { parsed } = this.parse(schemaText, references)
    const id = this.idByIdentity.get(identityOf(parsed, references))
    const found = versions.filter((v) => v.id === id).at(-1)
    if (!found) throw errors.schemaNotFound()
    return found
  }

  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.keys()].filter((s) => includeDeleted || this.live(s).length > 0).sort()
  }

  versions(subject: string, includeDeleted = false): number[] {
    const versions = (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted)
    if (!versions.length) throw errors.subjectNotFound(subject)
    return versions.map((v) => v.version)
  }

  /** `version` is a number, "latest" or -1, as in the REST paths. */
  version(subject: string, version: string, includeDeleted = false): SubjectVersion {
    const versions = (this.subjects.get(subject) ?? []).filter((v) => includeDeleted || !v.deleted)
    if (!versions.length) throw errors.subjectNotFound(subject)
    if (version === 'latest' || version === '-1') return versions.at(-1)!
    const n = Number(version)
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw errors.invalidVersion(version)
    const found = versions.find((v) => v.version === n)
    if (!found) throw errors.versionNotFound(subject, n)
    return found
  }

  /** Soft-deletes every live version, or (permanent) removes a soft-deleted subject for good. */
  deleteSubject(subject: string, permanent: boolean): number[] {
    this.assertWritable(subject)
    const versions = this.subjects.get(subject) ?? []
    if (!versions.length) throw errors.subjectNotFound(subject)
    const live = versions.filter((v) => !v.deleted)
    if (permanent && live.length) throw errors.subjectNotSoftDeleted(subject)
    if (!permanent && !live.length) throw errors.subjectSoftDeleted(subject)
    const targets = [...(permanent ? versions : live)]
    for (const v of targets) this.assertUnreferenced(v)
    const entries: LogEntry[] = targets.map((v) => ({ op: 'delete', subject, version: v.version, permanent }))
    // A subject deleted for good takes its settings with it, as in Confluent.
    if (permanent && this.subjectConfig.has(subject)) entries.push({ op: 'config', subject, compatibility: null })
    if (permanent && this.subjectMode.has(subject)) entries.push({ op: 'mode', subject, mode: null })
    if (permanent && this.subjectUnknownProperties.has(subject)) entries.push({ op: 'unknownProperties', subject, unknownProperties: null })
    this.write(entries)
    return targets.map((v) => v.version)
  }

  deleteVersion(subject: string, version: string, permanent: boolean): number {
    this.assertWritable(subject)
    const target = this.version(subject, version, true)
    if (permanent && !target.deleted) throw errors.versionNotSoftDeleted(subject, target.version)
    if (!permanent && target.deleted) throw errors.versionSoftDeleted(subject, target.version)
    this.assertUnreferenced(target)
    this.write([{ op: 'delete', subject, version: target.version, permanent }])
    return target.version
  }

  /** Ids of the schemas whose references point at this subject version. */
  referencedBy(subject: string, version: string): number[] {
    const v = this.version(subject, version, true)
    return [...this.schemas.values()]
      .filter((s) => s.references.some((r) => r.subject === subject && r.version === v.version))
      .filter((s) => this.allVersions().some((sv) => sv.id === s.id && !sv.deleted))
      .map((s) => s.id)
      .sort((a, b) => a - b)
  }

  private assertUnreferenced(v: SubjectVersion): void {
    const by = this.referencedBy(v.subject, String(v.version))
    if (by.length) throw errors.referenceExists(`${v.subject} version ${v.version} (referenced by schema ids ${by.join(', ')})`)
  }

  schemaById(id: number): StoredSchema {
    const s = this.schemas.get(id)
    if (!s) throw errors.schemaNotFound(`Schema ${id} not found`)
    return s
  }

  subjectVersionsOf(id: number, includeDeleted = false): SubjectVersion[] {
    this.schemaById(id)
    return this.allVersions().filter((v) => v.id === id && (includeDeleted || !v.deleted))
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

  unknownPropertiesOf(subject: string): UnknownProperties | undefined {
    return this.subjectUnknownProperties.get(subject)
  }

  setUnknownProperties(subject: string, value: UnknownProperties | null): void {
    this.write([{ op: 'unknownProperties', subject, unknownProperties: value }])
  }

  mode(subject?: string): Mode {
    return (subject && this.subjectMode.get(subject)) || this.globalMode
  }

  subjectModeOf(subject: string): Mode | undefined {
    return this.subjectMode.get(subject)
  }

  /** IMPORT keeps ids from elsewhere, so it may only start on an empty registry or subject unless forced. */
  setMode(subject: string | null, mode: Mode | null, force = false): void {
    if (mode === 'IMPORT' && !force) {
      const nonEmpty = subject === null ? this.subjectNames().length > 0 : this.live(subject).length > 0
      if (nonEmpty) throw errors.notPermitted(`Cannot import since found existing subjects${subject ? ` ('${subject}')` : ''}; use force=true to import anyway`)
    }
    this.write([{ op: 'mode', subject, mode }])
  }
}

/** References are part of a schema's identity: the same text over other references is another schema. */
function identityOf(parsed: unknown, references: SchemaReference[]): string {
  const base = schemaIdentity(parsed)
  if (!references.length) return base
  const refs = references.map((r) => `${r.name}=${r.subject}@${r.version}`).sort()
  return `${base}|${refs.join(',')}`
}
