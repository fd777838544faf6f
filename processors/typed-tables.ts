import { chTime } from './clickhouse-time.js'

/**
 * Typed event tables: one ClickHouse table per event subject, `events_<subject>`, with a column per Avro
 * field (envelope columns are `_`-prefixed so no property name can clash). Pure mapping here; the DDL is
 * run by the processor. Mapping (docs/TYPED_TABLES.md):
 *
 *   boolean → Bool, int → Int32, long → Int64, float → Float32, double → Float64, string → String,
 *   bytes → String (base64), fixed(n) → FixedString(n) … as base64 String, enum → LowCardinality(String)
 *   (new symbols need no ALTER), array → Array(T), map → Map(String, T), record → named Tuple(…),
 *   ["null", T] → Nullable(T) where ClickHouse allows it (T stays as is for Array/Map/Tuple, empty when null),
 *   other unions → String (the JSON of the value); logical types: timestamp-millis → DateTime64(3, 'UTC'),
 *   timestamp-micros → DateTime64(6, 'UTC'), date → Date32; others keep their underlying type (decimal as
 *   base64 bytes, uuid as String), because the decoder hands them over undecoded.
 */

type AvroSchema = string | AvroSchema[] | { type: AvroSchema; [k: string]: any }

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface Column {
  name: string
  type: string
}

/** The columns of a record schema's typed table, envelope first. */
export function typedColumns(schema: AvroSchema): Column[] {
  const named = new Map<string, AvroSchema>()
  const record = schema as { type: string; fields: { name: string; type: AvroSchema }[] }
  if (record.type !== 'record') throw new Error('typed tables need a record schema')
  return [
    { name: '_message_id', type: 'String' },
    { name: '_account_id', type: 'String' },
    { name: '_user_id', type: 'Nullable(String)' },
    { name: '_timestamp', type: "DateTime64(3, 'UTC')" },
    { name: '_received_at', type: "DateTime64(3, 'UTC')" },
    { name: '_schema_id', type: 'UInt32' },
    ...record.fields.map((f) => ({ name: identifier(f.name), type: columnType(f.type, named) })),
  ]
}

export function tableName(subject: string): string | undefined {
  return /^[a-z][a-z0-9_]{0,200}$/.test(subject) ? `events_${subject}` : undefined
}

export function createTableSql(table: string, columns: Column[]): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (\n  ${columns.map((c) => `\`${c.name}\` ${c.type}`).join(',\n  ')}\n) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(_timestamp)
ORDER BY (_account_id, _timestamp, _message_id)
SETTINGS non_replicated_deduplication_window = 10000`
}

/** Compatible evolution only adds fields; a column that exists keeps its type. */
export function addColumnsSql(table: string, columns: Column[]): string[] {
  return columns.map((c) => `ALTER TABLE \`${table}\` ADD COLUMN IF NOT EXISTS \`${c.name}\` ${c.type}`)
}

function identifier(name: string): string {
  if (!NAME.test(name)) throw new Error(`"${name}" is not an Avro name`)
  return name
}

function columnType(t: AvroSchema, named: Map<string, AvroSchema>): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'boolean':
        return 'Bool'
      case 'int':
        return 'Int32'
      case 'long':
        return 'Int64'
      case 'float':
        return 'Float32'
      case 'double':
        return 'Float64'
      case 'string':
      case 'bytes':
        return 'String'
      case 'null':
        return 'Nullable(Nothing)'
      default: {
        const ref = named.get(t) ?? named.get(t.split('.').pop()!)
        if (!ref) throw new Error(`unknown type "${t}"`)
        return columnType(ref, named)
      }
    }
  }
  if (Array.isArray(t)) {
    const nonNull = t.filter((b) => b !== 'null')
    if (nonNull.length === 1) {
      const inner = columnType(nonNull[0], named)
      return t.length === 2 && canBeNullable(inner) ? `Nullable(${inner})` : inner
    }
    return 'String'
  }
  if (t.name) {
    named.set(t.name, t)
    if (t.namespace) named.set(`${t.namespace}.${t.name}`, t)
  }
  switch (t.logicalType) {
    case 'timestamp-millis':
      return "DateTime64(3, 'UTC')"
    case 'timestamp-micros':
      return "DateTime64(6, 'UTC')"
    case 'date':
      return 'Date32'
  }
  switch (t.type) {
    case 'enum':
      return 'LowCardinality(String)'
    case 'fixed':
      return 'String'
    case 'array':
      return `Array(${columnType(t.items, named)})`
    case 'map':
      return `Map(String, ${columnType(t.values, named)})`
    case 'record':
      return `Tuple(${(t.fields as { name: string; type: AvroSchema }[]).map((f) => `${identifier(f.name)} ${columnType(f.type, named)}`).join(', ')})`
    default:
      return columnType(t.type, named)
  }
}

function canBeNullable(inner: string): boolean {
  return !/^(Array|Map|Tuple|LowCardinality)\(/.test(inner)
}

/** One decoded record as a typed-table row: the envelope plus each field converted to its column's input. */
export function typedRow(
  envelope: { messageId: string; accountId: string; userId: string | null; timestamp: string; receivedAt: string; schemaId: number },
  schema: AvroSchema,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const record = schema as unknown as { fields: { name: string; type: AvroSchema }[] }
  const row: Record<string, unknown> = {
    _message_id: envelope.messageId,
    _account_id: envelope.accountId,
    _user_id: envelope.userId,
    _timestamp: envelope.timestamp,
    _received_at: envelope.receivedAt,
    _schema_id: envelope.schemaId,
  }
  for (const f of record.fields) row[f.name] = convert(f.type, value[f.name])
  return row
}

function convert(t: AvroSchema, v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (Buffer.isBuffer(v)) return v.toString('base64')
  if (Array.isArray(t)) {
    const nonNull = t.filter((b) => b !== 'null')
    return nonNull.length === 1 ? convert(nonNull[0], v) : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))
  }
  if (typeof t === 'object' && !Array.isArray(t)) {
    if (t.logicalType === 'timestamp-millis' && typeof v === 'number') return chTime(new Date(v))
    if (t.logicalType === 'timestamp-micros' && typeof v === 'number') return chTime(new Date(Math.floor(v / 1000)))
    if (t.type === 'array' && Array.isArray(v)) return v.map((x) => convert(t.items, x))
    if (t.type === 'map' && typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, convert(t.values, x)]))
    if (t.type === 'record' && typeof v === 'object') {
      return Object.fromEntries((t.fields as { name: string; type: AvroSchema }[]).map((f) => [f.name, convert(f.type, (v as Record<string, unknown>)[f.name])]))
    }
  }
  if (v instanceof Date) return chTime(v)
  return v
}

/**
 * Creates and evolves typed tables as schemas are met, once per schema id: the DDL runs before the first
 * insert of an event written with that schema.
 */
export class TypedTables {
  private readonly ready = new Map<number, Promise<{ table: string; schema: AvroSchema } | undefined>>()

  constructor(
    private readonly run: (sql: string) => Promise<unknown>,
    private readonly schemaText: (id: number) => Promise<string>,
  ) {}

  /** The table for events of `subject` written with schema `id`, or undefined when none can be made. */
  forSchema(subject: string, id: number): Promise<{ table: string; schema: AvroSchema } | undefined> {
    let p = this.ready.get(id)
    if (!p) {
      p = this.prepare(subject, id)
      this.ready.set(id, p)
      p.catch(() => this.ready.delete(id))
    }
    return p
  }

  private async prepare(subject: string, id: number) {
    const table = tableName(subject)
    if (!table) return undefined
    const schema = JSON.parse(await this.schemaText(id)) as AvroSchema
    if (typeof schema !== 'object' || Array.isArray(schema) || schema.type !== 'record') return undefined
    const columns = typedColumns(schema)
    await this.run(createTableSql(table, columns))
    for (const sql of addColumnsSql(table, columns)) await this.run(sql)
    return { table, schema }
  }
}
