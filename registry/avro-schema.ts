import avro from 'avsc'
import { unionDefaultsHook, type UnionDefaultFailure } from './union-defaults.js'

/** A valid `decimal` logical type's parameters; an invalid one is ignored, as the specification asks. */
export interface Decimal {
  precision: number
  scale: number
}

/**
 * avsc keeps no trace of a logical type it has no class for, so the decimals are noted here as the schema
 * is parsed: schema resolution needs them (Specification, Decimal: two decimals match only if their
 * precisions and scales match).
 */
const decimals = new WeakMap<avro.Type, Decimal>()

export function decimalOf(type: avro.Type): Decimal | undefined {
  return decimals.get(type)
}

/**
 * Parses an Avro schema the way the registry does, with named types from `registry` (its references)
 * known: Avro 1.12's rule for union defaults (see union-defaults.ts), and decimals remembered.
 */
export function parseAvroSchema(schema: unknown, registry: Record<string, avro.Type> = {}): avro.Type {
  const failure: UnionDefaultFailure = {}
  const unionDefaults = unionDefaultsHook(failure)
  const building = new WeakSet<object>()
  const typeHook = (s: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined => {
    const decimal = typeof s === 'object' && !Array.isArray(s) && !building.has(s) ? decimalSchema(s as Record<string, unknown>) : undefined
    if (!decimal) return unionDefaults(s, opts)
    // avsc builds the type itself; the hook only has to let this one schema through once.
    building.add(s as object)
    try {
      const type = avro.Type.forSchema(s, opts)
      decimals.set(type, decimal)
      return type
    } finally {
      building.delete(s as object)
    }
  }
  try {
    return avro.Type.forSchema(schema as avro.Schema, { registry, typeHook })
  } catch (err) {
    // avsc words a bad union default as if only the first branch could hold it; the hook knows better.
    throw failure.message ? new Error(failure.message) : err
  }
}

/** The decimal a schema declares, when its attributes make a valid one (Specification, Decimal). */
function decimalSchema(s: Record<string, unknown>): Decimal | undefined {
  if (s.logicalType !== 'decimal' || (s.type !== 'bytes' && s.type !== 'fixed')) return undefined
  const { precision, scale = 0, size } = s
  if (!Number.isInteger(precision) || (precision as number) < 1) return undefined
  if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) return undefined
  if (s.type === 'fixed') {
    if (!Number.isInteger(size) || (size as number) < 1) return undefined
    // A fixed of n bytes holds at most floor(log10(2^(8n-1) - 1)) decimal digits.
    const maxPrecision = Math.floor(Math.log10(2 ** (8 * (size as number) - 1) - 1))
    if ((precision as number) > maxPrecision) return undefined
  }
  return { precision: precision as number, scale: scale as number }
}
