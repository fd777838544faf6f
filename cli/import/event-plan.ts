/**
 * Pure: the mapping bound to a CSV header (columns by position) and, per event, the plan for its properties
 * (which column or value feeds each, and the type its schema gives it). Built once per file and once per
 * event, so converting a row only reads cells; every problem found here is found before anything is sent.
 */
import { convertCell } from './cell-values.js'
import { mappedColumns, type CsvMapping, type Path, type PropertyMappings } from './csv-mapping.js'
import type { EventFields, FieldType } from './field-types.js'

export interface BoundMapping {
  mapping: CsvMapping
  header: string[]
  /** Column name → position. */
  index: Map<string, number>
  /** Positions of the columns the envelope fields (event, accountId, userId, timestamp, messageId) read. */
  envelopeColumns: Set<number>
  /** Refuse columns the mapping does not read (at start) and rows with a value in one (per row). */
  strict: boolean
}

/** A problem with the mapping (path set: the key in the mapping file) or with the CSV header (no path). */
export interface PlanProblem {
  path?: Path
  message: string
}

/** The mapping bound to `header`; usable only when `problems` is empty. */
export function bindMapping(mapping: CsvMapping, header: string[], opts: { strict?: boolean } = {}): { bound: BoundMapping; problems: PlanProblem[]; ignored: string[] } {
  const problems: PlanProblem[] = []
  const index = new Map<string, number>()
  header.forEach((name, i) => {
    if (name === '') return
    const seen = index.get(name)
    if (seen === undefined) index.set(name, i)
    else problems.push({ message: `the header names column ${JSON.stringify(name)} twice (columns ${seen + 1} and ${i + 1}); column names must be unique` })
  })
  const used = new Set<number>()
  const envelopeColumns = new Set<number>()
  for (const { column, path } of mappedColumns(mapping)) {
    const at = index.get(column)
    if (at === undefined) {
      const near = header.find((h) => h.trim().toLowerCase() === column.trim().toLowerCase())
      problems.push({ path, message: `names column ${JSON.stringify(column)}, which the header does not have${near === undefined ? '' : ` (it has ${JSON.stringify(near)})`}; its columns are ${header.map((h) => JSON.stringify(h)).join(', ')}` })
      continue
    }
    used.add(at)
    if (path.length === 1) envelopeColumns.add(at)
  }
  const ignored = header.filter((_, i) => !used.has(i))
  if (opts.strict && ignored.length) {
    problems.push({ message: `--strict: the mapping reads no column ${ignored.map((h) => JSON.stringify(h)).join(', ')}; map ${ignored.length > 1 ? 'them' : 'it'} or leave out --strict to ignore ${ignored.length > 1 ? 'them' : 'it'}` })
  }
  // Bound even with problems, so the events the mapping names can be checked too and every problem listed at once.
  return { bound: { mapping, header, index, envelopeColumns, strict: Boolean(opts.strict) }, problems, ignored }
}

export interface PropertyPlan {
  name: string
  type: FieldType
  /** The column read on each row (its position and name) … */
  index?: number
  column?: string
  /** … cell texts read as others first … */
  values?: Map<string, string>
  /** … or one value for every row, already converted. */
  constant?: unknown
}

export interface EventPlan {
  event: string
  schemaVersion?: number
  properties: PropertyPlan[]
  /** Positions of the columns this event's properties read. */
  usedColumns: Set<number>
}

/**
 * The plan for `event` with its schema's fields. Properties under `properties` apply when the schema
 * declares them (all must be declared when the whole file is one event); those under `events.EVENT` must
 * be declared. Constant values and `values` targets are converted here, and properties the schema requires
 * (no default, no null) must be given.
 */
export function eventPlan(bound: BoundMapping, event: string, fields: EventFields): { plan?: EventPlan; problems: PlanProblem[] } {
  const { mapping } = bound
  const problems: PlanProblem[] = []
  const oneEvent = 'value' in mapping.event
  const section = mapping.events[event]
  const chosen = new Map<string, { source: PropertyMappings[string]; path: Path }>()
  const declaredList = () => [...fields.keys()].join(', ')
  const take = (ps: PropertyMappings, at: Path, mustBeDeclared: boolean) => {
    for (const [name, source] of Object.entries(ps)) {
      if (fields.has(name)) chosen.set(name, { source, path: [...at, name] })
      else if (mustBeDeclared) problems.push({ path: [...at, name], message: `event "${event}" declares no property ${name}; its properties are ${declaredList()}` })
    }
  }
  take(mapping.properties, ['properties'], oneEvent)
  if (section) take(section.properties, ['events', event, 'properties'], true)

  const properties: PropertyPlan[] = []
  const usedColumns = new Set<number>()
  for (const [name, { source, path }] of chosen) {
    const type = fields.get(name)!
    if (source.column !== undefined) {
      let values: Map<string, string> | undefined
      if (source.values) {
        values = new Map()
        for (const [from, to] of Object.entries(source.values)) {
          const text = to === null ? '' : String(to)
          const check = convertCell(text, type)
          if (!check.ok) problems.push({ path: [...path, 'values', from], message: `${JSON.stringify(to)} is no value of ${name} (${type.described}): expected ${check.expected}` })
          values.set(from, text)
        }
      }
      const index = bound.index.get(source.column)
      // A column the header lacks was reported when binding; the property still counts as given.
      if (index === undefined) continue
      usedColumns.add(index)
      properties.push({ name, type, index, column: source.column, ...(values ? { values } : {}) })
      continue
    }
    const converted = convertCell(source.value === null || source.value === undefined ? '' : String(source.value), type)
    if (!converted.ok) problems.push({ path: [...path, 'value'], message: `${JSON.stringify(source.value)} is no value of ${name} (${type.described}): expected ${converted.expected}` })
    else if (!('omit' in converted)) properties.push({ name, type, constant: converted.value })
  }
  const missing = [...fields].filter(([name, t]) => !t.nullable && !t.hasDefault && !chosen.has(name))
  if (missing.length) {
    problems.push({
      path: section ? ['events', event] : ['properties'],
      message: `event "${event}" requires ${missing.map(([n, t]) => `${n} (${t.described})`).join(', ')}, which the mapping does not give${section ? '' : `; map ${missing.length > 1 ? 'them' : 'it'} under properties or events.${event}.properties`}`,
    })
  }
  if (problems.length) return { problems }
  const schemaVersion = section?.schemaVersion ?? mapping.schemaVersion
  return { plan: { event, ...(schemaVersion === undefined ? {} : { schemaVersion }), properties, usedColumns }, problems }
}

/** How a problem reads: `events.invoice_paid.properties.amount: …`, or the message alone for the header. */
export function formatProblem(p: PlanProblem): string {
  return p.path?.length ? `${p.path.join('.')}: ${p.message}` : p.message
}
