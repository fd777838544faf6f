import avro from 'avsc'
import { decimalOf, type Decimal } from './avro-schema.js'

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

export function isCompatibilityLevel(v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v)
}

export interface ExistingVersion {
  version: number
  type: avro.Type
}

/** One way a reader schema cannot read data written with a writer schema, in neutral terms. */
export type ResolutionProblem =
  | { kind: 'field_missing'; path: string; field: string }
  | { kind: 'type_changed'; path: string; reader: string; writer: string }
  | { kind: 'name_changed'; path: string; reader: string; writer: string }
  | { kind: 'enum_symbols'; path: string; symbols: string[] }
  | { kind: 'fixed_size'; path: string; reader: number; writer: number }
  | { kind: 'decimal_changed'; path: string; reader: string; writer: string }
  | { kind: 'union_branch'; path: string; branch: string }

/**
 * Pure: every place where `reader` cannot resolve data written with `writer`, following the Avro
 * specification's schema-resolution rules as Avro's Java SchemaCompatibility (and so Confluent's registry)
 * applies them; test/integration/avro-java-compat.test.ts holds the verdicts to Java's. Where the
 * specification is stricter than Java (decimals), the specification wins. avsc's own resolver stops at the
 * first problem and names no path, so the walk is ours.
 */
export function resolutionProblems(reader: avro.Type, writer: avro.Type, path = 'properties', seen = new Set<string>()): ResolutionProblem[] {
  const r = reader as any
  const w = writer as any
  const resolves = (rb: avro.Type, wb: avro.Type) => resolutionProblems(rb, wb, path, seen).length === 0

  if (isUnion(w)) {
    // Every branch the writer may have used must be readable. When the reader has a counterpart for a
    // branch (same kind and name) that still cannot read it, the problem inside is the useful one.
    const problems: ResolutionProblem[] = []
    const readerBranches: avro.Type[] = isUnion(r) ? r.types : [reader]
    for (const branch of w.types as avro.Type[]) {
      if (readerBranches.some((rb) => resolves(rb, branch))) continue
      const counterpart = counterpartOf(readerBranches, branch)
      if (counterpart) problems.push(...resolutionProblems(counterpart, branch, path, seen))
      else problems.push({ kind: 'union_branch', path, branch: typeLabel(branch) })
    }
    return problems
  }
  if (isUnion(r)) {
    // Any reader branch that can read the writer will do, not only the first of its kind: a renamed type
    // kept beside its alias resolves through the alias. When none can, the problem is told for the
    // branch the writer most plausibly meant.
    const branches = r.types as avro.Type[]
    if (branches.some((rb) => resolves(rb, writer))) return []
    const meant = counterpartOf(branches, writer) ?? branches.find((rb) => sameKind(rb, writer) || promotes(writer, rb))
    if (!meant) return [{ kind: 'type_changed', path, reader: typeLabel(reader), writer: typeLabel(writer) }]
    return resolutionProblems(meant, writer, path, seen)
  }

  if (!sameKind(r, w)) {
    if (promotes(writer, reader)) return []
    return [{ kind: 'type_changed', path, reader: typeLabel(reader), writer: typeLabel(writer) }]
  }
  if (isNamed(r) && !namesMatch(r, w)) return [{ kind: 'name_changed', path, reader: r.name, writer: w.name }]

  switch (r.typeName) {
    case 'record':
    case 'error': {
      // Recursive types: a pair already being checked higher up is assumed fine there.
      const key = `${r.name}<-${w.name}`
      if (seen.has(key)) return []
      seen.add(key)
      const problems: ResolutionProblem[] = []
      const writerFields = new Map<string, any>((w.fields as any[]).map((f) => [f.name, f]))
      for (const rf of r.fields as any[]) {
        const wf = writerFields.get(rf.name) ?? (rf.aliases as string[]).map((a) => writerFields.get(a)).find(Boolean)
        const fieldPath = `${path}.${rf.name}`
        if (wf) problems.push(...resolutionProblems(rf.type, wf.type, fieldPath, seen))
        else if (rf.defaultValue() === undefined) problems.push({ kind: 'field_missing', path: fieldPath, field: rf.name })
      }
      seen.delete(key)
      return problems
    }
    case 'enum': {
      const missing = (w.symbols as string[]).filter((s) => !(r.symbols as string[]).includes(s))
      return missing.length && r.default === undefined ? [{ kind: 'enum_symbols', path, symbols: missing }] : []
    }
    case 'fixed': {
      const problems: ResolutionProblem[] = r.size === w.size ? [] : [{ kind: 'fixed_size', path, reader: r.size, writer: w.size }]
      return [...problems, ...decimalProblems(reader, writer, path)]
    }
    case 'bytes':
      return decimalProblems(reader, writer, path)
    case 'array':
      return resolutionProblems(r.itemsType, w.itemsType, `${path}[]`, seen)
    case 'map':
      return resolutionProblems(r.valuesType, w.valuesType, `${path}{}`, seen)
    default:
      return []
  }
}

/**
 * Two decimals match only if their precisions and scales match (Specification, Logical Types, Decimal).
 * Java's SchemaCompatibility ignores logical types and would let every value be read off by powers of ten;
 * here Pulse is stricter than Confluent, on purpose. A decimal and plain bytes still match.
 */
function decimalProblems(reader: avro.Type, writer: avro.Type, path: string): ResolutionProblem[] {
  const rd = decimalOf(reader)
  const wd = decimalOf(writer)
  if (!rd || !wd || (rd.precision === wd.precision && rd.scale === wd.scale)) return []
  return [{ kind: 'decimal_changed', path, reader: decimalLabel(rd), writer: decimalLabel(wd) }]
}

/** The reader branch that stands for `writer`: same kind and, for named types, the same name or an alias of it. */
function counterpartOf(branches: avro.Type[], writer: avro.Type): avro.Type | undefined {
  const ofKind = branches.filter((rb) => sameKind(rb, writer))
  if (!isNamed(writer)) return ofKind[0]
  const w = writer as any
  return ofKind.find((rb: any) => rb.name === w.name) ?? ofKind.find((rb) => namesMatch(rb, writer))
}

/**
 * Pure: the reasons `candidate` may not join a subject whose live versions are `existing` (oldest first)
 * under `level`, each naming the path, the change and who breaks; empty when compatible.
 */
export function compatibilityReasons(level: CompatibilityLevel, candidate: avro.Type, existing: ExistingVersion[]): string[] {
  if (level === 'NONE' || existing.length === 0) return []
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1)
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL')
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL')
  const reasons: string[] = []
  for (const old of against) {
    if (backward) {
      for (const p of resolutionProblems(candidate, old.type)) {
        reasons.push(`${p.path}: ${describeChange(p, 'backward', old.version)} — the new schema cannot read events written with version ${old.version}`)
      }
    }
    if (forward) {
      for (const p of resolutionProblems(old.type, candidate)) {
        reasons.push(`${p.path}: ${describeChange(p, 'forward', old.version)} — consumers on version ${old.version} can no longer read new events`)
      }
    }
  }
  return reasons
}

/**
 * The problem told as a change from the old version to the new schema. Backward: the new schema reads,
 * the old one wrote. Forward: the old one reads, the new one writes.
 */
function describeChange(p: ResolutionProblem, direction: 'backward' | 'forward', version: number): string {
  const [oldSide, newSide] = direction === 'backward' ? ['writer', 'reader'] as const : ['reader', 'writer'] as const
  switch (p.kind) {
    case 'field_missing':
      return direction === 'backward' ? 'field added without a default' : `field removed, and version ${version} has no default for it`
    case 'type_changed':
      return `type changed from ${p[oldSide]} to ${p[newSide]}`
    case 'name_changed':
      // Only the reader's aliases count: a new schema can alias the old name; old readers cannot learn the new one.
      if (direction === 'forward') return `renamed from ${p.reader} to ${p.writer}, and version ${version} has no alias for the new name`
      return `renamed from ${p.writer} to ${p.reader} (${aliasHint(p.reader, p.writer)})`
    case 'enum_symbols':
      return direction === 'backward'
        ? `enum symbol${p.symbols.length > 1 ? 's' : ''} ${p.symbols.join(', ')} removed, and the new schema has no enum default`
        : `enum symbol${p.symbols.length > 1 ? 's' : ''} ${p.symbols.join(', ')} added, and version ${version} has no enum default`
    case 'fixed_size':
      return `fixed size changed from ${p[oldSide]} to ${p[newSide]}`
    case 'decimal_changed':
      return `decimal changed from ${p[oldSide]} to ${p[newSide]} (decimals resolve only with the same precision and scale)`
    case 'union_branch':
      return direction === 'backward' ? `union branch ${p.branch} removed` : `union branch ${p.branch} added`
  }
}

const PROMOTIONS: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
}

function promotes(writer: avro.Type, reader: avro.Type): boolean {
  return PROMOTIONS[(writer as any).typeName]?.includes((reader as any).typeName) ?? false
}

function isUnion(t: any): boolean {
  return t.typeName === 'union:unwrapped' || t.typeName === 'union:wrapped'
}

function isNamed(t: any): boolean {
  return ['record', 'error', 'enum', 'fixed'].includes(t.typeName)
}

function sameKind(a: any, b: any): boolean {
  const kind = (t: any) => (t.typeName === 'error' ? 'record' : t.typeName)
  return kind(a) === kind(b)
}

/**
 * Named types match by their unqualified names (Specification, Schema Resolution: "the same (unqualified)
 * name"), so a namespace may change; or when the reader lists the writer's full name among its aliases.
 */
function namesMatch(reader: any, writer: any): boolean {
  return shortName(reader.name) === shortName(writer.name) || (reader.aliases as string[] | undefined)?.includes(writer.name) === true
}

/**
 * How the reader could name the writer among its aliases. An alias without a dot is taken in the reader's
 * namespace, so a name in no namespace cannot be an alias of a namespaced type.
 */
function aliasHint(reader: string, writer: string): string {
  return writer.includes('.') || !reader.includes('.') ? `keep the name, or add "${writer}" to "aliases"` : 'keep the name'
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1)
}

function decimalLabel(d: Decimal): string {
  return `decimal(${d.precision},${d.scale})`
}

function typeLabel(t: avro.Type): string {
  const x = t as any
  if (isNamed(x)) return `${x.typeName === 'error' ? 'record' : x.typeName} ${x.name}`
  if (x.typeName === 'array') return `array<${typeLabel(x.itemsType)}>`
  if (x.typeName === 'map') return `map<${typeLabel(x.valuesType)}>`
  if (isUnion(x)) return (x.types as avro.Type[]).map(typeLabel).join(' | ')
  const decimal = decimalOf(t)
  return decimal ? decimalLabel(decimal) : x.typeName
}
