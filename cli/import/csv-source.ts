/**
 * CSV rows as import items: the header binds the mapping, each event's schema is fetched from the registry
 * the first time a row names it, and each row is converted by the pure `convertRow`. Everything the mapping
 * can be checked for before the first row (columns, the events it names, their properties and required
 * fields) is checked when the header is read, and refused with every problem before anything is sent.
 */
import fs from 'node:fs'
import type { CsvMapping, Path } from './csv-mapping.js'
import { csvRecords } from './csv-records.js'
import { convertRow, eventNameOf, type PlanLookup } from './csv-row.js'
import { bindMapping, eventPlan, formatProblem, type BoundMapping, type PlanProblem } from './event-plan.js'
import type { ImportItem, ImportSource } from './import-source.js'
import { MappingError } from './mapping-file.js'
import type { FieldsLookup } from './registry-fields.js'

export interface CsvSourceOptions {
  mapping: CsvMapping
  /** Where a key of the mapping file is, for messages: `mapping.yaml:7`. */
  where: (path: Path) => string
  /** How messages name the input: `history.csv`, `standard input`. */
  inputLabel: string
  fields: FieldsLookup
  /** Refuse columns the mapping does not read, and values in columns a row's event does not read. */
  strict?: boolean
  fingerprint?: string
  /** Told once the header is bound: the columns the mapping does not read (ignored unless strict). */
  onHeader?: (info: { ignored: string[] }) => void
}

export class CsvSource implements ImportSource {
  readonly fingerprint?: string
  private bound: BoundMapping | undefined
  private readonly plans = new Map<string, PlanLookup>()
  /** The mapping's problems with an event, by key, for the start-up check of the events it names. */
  private readonly problemsOf = new Map<string, PlanProblem[]>()

  constructor(private readonly opts: CsvSourceOptions) {
    this.fingerprint = opts.fingerprint
  }

  /**
   * Binds the mapping to the header (line `line` of the input) and prepares the events the mapping names;
   * throws a MappingError listing every problem.
   */
  async prepare(header: string[], line = 1): Promise<void> {
    const { mapping } = this.opts
    const bound = bindMapping(mapping, header, { strict: this.opts.strict })
    const problems: PlanProblem[] = [...bound.problems]
    this.bound = bound.bound
    const named = new Set(Object.keys(mapping.events))
    if ('value' in mapping.event) named.add(mapping.event.value)
    for (const event of named) {
      const found = await this.load(event)
      if ('error' in found) problems.push(...(this.problemsOf.get(event) ?? [{ path: 'value' in mapping.event ? ['event', 'value'] : ['events', event], message: found.message }]))
    }
    if (problems.length) {
      this.bound = undefined
      this.plans.clear()
      throw new MappingError(problems.map((p) => (p.path ? `${this.opts.where(p.path)}: ${formatProblem(p)}` : `${this.opts.inputLabel}:${line} (the header): ${p.message}`)))
    }
    this.opts.onHeader?.({ ignored: bound.ignored })
  }

  async *items(stream: AsyncIterable<Buffer>, from: { offset: number; line: number }): AsyncGenerator<ImportItem> {
    // From the start of the input the first record is the header (bound here, or checked to be the one bound).
    let header = from.offset === 0
    for await (const r of csvRecords(stream, { delimiter: this.opts.mapping.delimiter, offset: from.offset, line: from.line + 1 })) {
      const item: ImportItem = { line: r.line, lastLine: r.lastLine, end: r.end }
      if (r.fields.length === 0 && !r.malformed) {
        yield item
        continue
      }
      if (header) {
        header = false
        if (r.malformed) throw new MappingError([`${this.opts.inputLabel}:${r.line} (the header): ${r.malformed}`])
        if (!this.bound) await this.prepare(r.fields, r.line)
        else if (r.fields.join('\n') !== this.bound.header.join('\n')) throw new Error(`${this.opts.inputLabel}: the header changed while it was being read`)
        yield item
        continue
      }
      if (!this.bound) throw new Error('CsvSource: resuming needs prepare(header) first')
      const bound = this.bound
      const well = !r.malformed && r.fields.length === bound.header.length
      const event = well ? eventNameOf(r.fields, bound) : ''
      if (event) await this.load(event)
      const result = convertRow(r, bound, (e) => this.plans.get(e)!)
      if (result.ok) item.event = { body: result.envelope as unknown as Record<string, unknown>, columns: result.columns }
      else item.reject = result.reject
      yield item
    }
    if (header) throw new MappingError([`${this.opts.inputLabel}: the input is empty; a CSV import needs a header row naming the columns`])
  }

  /** The plan for `event`, built from its schema the first time it is asked for. */
  private async load(event: string): Promise<PlanLookup> {
    const known = this.plans.get(event)
    if (known) return known
    const { mapping } = this.opts
    const version = mapping.events[event]?.schemaVersion ?? mapping.schemaVersion
    const fields = await this.opts.fields(event, version)
    let found: PlanLookup
    if (!fields) {
      found = { error: 'unknown_event', message: version === undefined ? `no schema is registered for event "${event}"` : `event "${event}" has no schema version ${version} in the registry` }
    } else {
      const plan = eventPlan(this.bound!, event, fields)
      if (plan.plan) found = { plan: plan.plan }
      else {
        this.problemsOf.set(event, plan.problems)
        found = { error: 'invalid_mapping', message: plan.problems.map(formatProblem).join('; ') }
      }
    }
    this.plans.set(event, found)
    return found
  }
}

/** The header of a CSV file: its first record that is not a blank line. */
export async function readCsvHeader(file: string, delimiter: string): Promise<{ fields: string[]; line: number }> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 })
  try {
    for await (const r of csvRecords(stream, { delimiter })) {
      if (r.fields.length === 0 && !r.malformed) continue
      if (r.malformed) throw new MappingError([`${file}:${r.line} (the header): ${r.malformed}`])
      return { fields: r.fields, line: r.line }
    }
  } finally {
    stream.destroy()
  }
  throw new MappingError([`${file}: the file is empty; a CSV import needs a header row naming the columns`])
}
