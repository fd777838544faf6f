import avro from 'avsc'

/** Parses an Avro schema the way the registry does, with named types from `registry` (its references) known. */
export function parseAvroSchema(schema: unknown, registry: Record<string, avro.Type> = {}): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry })
}
