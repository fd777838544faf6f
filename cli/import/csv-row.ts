/**
 * Pure: one CSV row turned into the envelope `/v1/batch` takes, or the reason it cannot be, with every cell
 * that does not fit named by its column, the envelope field or property it feeds, and what was expected.
 */
import { convertCell, parseInstant } from './cell-values.js'
import type { BoundMapping, EventPlan } from './event-plan.js'
import { rowMessageId } from './row-message-id.js'
import type { TrackedEvent } from '../../gateway/track-request.js'

/** The gateway's own envelope: a row becomes exactly what `/v1/batch` takes. */
export type CsvEnvelope = TrackedEvent

export interface CellViolation {
  column: string
  /** The envelope field or property the cell feeds: `timestamp`, `properties.amountCents`. */
  path: string
  expected: string
  actual: string
  message: string
}

export type RowError =
  /** The record breaks RFC 4180, or has another number of fields than the header. */
  | 'invalid_csv'
  /** Cells that do not fit their field. */
  | 'invalid_cell'
  /** The event (or its pinned version) has no schema in the registry. */
  | 'unknown_event'
  /** The mapping cannot serve this event (found at its first row when the event comes from a column). */
  | 'invalid_mapping'

export interface RowReject {
  event?: string
  messageId?: string
  error: RowError
  message: string
  violations?: CellViolation[]
}

export type RowResult =
  | { ok: true; envelope: CsvEnvelope; /** Path in the envelope → the column it came from. */ columns: Record<string, string> }
  | { ok: false; reject: RowReject }

const NEEDED = { event: 'an event name', accountId: 'an accountId', userId: 'a userId', messageId: 'a messageId' }

/** The plan for an event, or why there is none. */
export type PlanLookup = { plan: EventPlan } | { error: 'unknown_event' | 'invalid_mapping'; message: string }

/** The row's event name: its cell, or the file's one event. */
export function eventNameOf(fields: string[], bound: BoundMapping): string {
  const s = bound.mapping.event
  return 'value' in s ? s.value : (fields[bound.index.get(s.column)!] ?? '')
}

export function convertRow(record: { fields: string[]; malformed?: string }, bound: BoundMapping, planFor: (event: string) => PlanLookup): RowResult {
  const { fields } = record
  const { mapping, header, index } = bound
  if (record.malformed) return { ok: false, reject: { error: 'invalid_csv', message: record.malformed } }
  if (fields.length !== header.length) {
    return { ok: false, reject: { error: 'invalid_csv', message: `the row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header ${header.length}` } }
  }
  const violations: CellViolation[] = []
  const columns: Record<string, string> = {}
  const cellOf = (column: string) => fields[index.get(column)!]
  const violate = (column: string, path: string, expected: string, cell: string) => {
    const actual = cell.trim() === '' ? (cell === '' ? 'an empty cell' : `only spaces (${JSON.stringify(cell)})`) : JSON.stringify(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell)
    violations.push({ column, path, expected, actual, message: `column ${JSON.stringify(column)} (${path}): expected ${expected}, got ${actual}` })
  }
  /** An envelope string field: the cell exactly as written, which must not be empty. */
  const text = (field: 'event' | 'accountId' | 'userId' | 'messageId', required: boolean): string | undefined => {
    const s = mapping[field]
    if (!s) return undefined
    if ('value' in s) return s.value
    columns[field] = s.column
    const cell = cellOf(s.column)
    if (cell !== '') return cell
    if (required) violate(s.column, field, NEEDED[field], cell)
    return undefined
  }

  const event = text('event', true)
  const accountId = text('accountId', true)
  const userId = text('userId', false)
  columns.timestamp = mapping.timestamp.column
  const tsCell = cellOf(mapping.timestamp.column).trim()
  const at = parseInstant(tsCell, mapping.timestamp.format)
  if (!at.ok) violate(mapping.timestamp.column, 'timestamp', at.expected, cellOf(mapping.timestamp.column))
  const messageId = mapping.messageId ? text('messageId', true) : event === undefined ? undefined : rowMessageId(event, header, fields)

  let plan: EventPlan | undefined
  if (event !== undefined) {
    const found = planFor(event)
    if ('error' in found) return { ok: false, reject: { event, ...(messageId ? { messageId } : {}), error: found.error, message: found.message } }
    plan = found.plan
  }
  const properties: Record<string, unknown> = {}
  for (const p of plan?.properties ?? []) {
    if (p.index === undefined) {
      properties[p.name] = p.constant
      continue
    }
    const path = `properties.${p.name}`
    columns[path] = p.column!
    const cell = fields[p.index]
    // `values` targets were checked against the type with the plan, so only cells read as written can fail.
    const converted = convertCell(p.values?.get(cell) ?? p.values?.get(cell.trim()) ?? cell, p.type)
    if (!converted.ok) violate(p.column!, path, converted.expected, cell)
    else if (!('omit' in converted)) properties[p.name] = converted.value
  }
  if (bound.strict && plan) {
    header.forEach((column, i) => {
      if (fields[i].trim() !== '' && !bound.envelopeColumns.has(i) && !plan.usedColumns.has(i)) {
        violate(column, 'unused', `an empty cell: the mapping reads this column for no property of "${plan.event}", and --strict lets no value go unused`, fields[i])
      }
    })
  }
  if (violations.length) {
    return { ok: false, reject: { ...(event ? { event } : {}), ...(messageId ? { messageId } : {}), error: 'invalid_cell', message: violations.map((v) => v.message).join('; '), violations } }
  }
  const envelope: CsvEnvelope = {
    event: event!,
    messageId: messageId!,
    accountId: accountId!,
    ...(userId === undefined ? {} : { userId }),
    timestamp: new Date((at as { ms: number }).ms).toISOString(),
    ...(plan!.schemaVersion === undefined ? {} : { schemaVersion: plan!.schemaVersion }),
    properties,
  }
  return { ok: true, envelope, columns }
}
