import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry'

export const CATALOG_DIR = path.dirname(fileURLToPath(import.meta.url))

export interface CatalogEntry {
  /** The registry subject, which is also the event name: the file name without `.avsc`. */
  subject: string
  file: string
  schema: string
}

/** Reads every `.avsc` file of the event catalog. */
export function readCatalog(dir = CATALOG_DIR): CatalogEntry[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f)
      const schema = fs.readFileSync(file, 'utf8')
      try {
        JSON.parse(schema)
      } catch (err) {
        throw new Error(`${file} is not valid JSON: ${(err as Error).message}`)
      }
      return { subject: f.slice(0, -'.avsc'.length), file, schema }
    })
}

/** Registers every catalog schema under its subject (idempotent: a known schema keeps its id and version). */
export async function registerCatalog(registry: SchemaRegistry, catalog = readCatalog()): Promise<{ subject: string; id: number }[]> {
  const registered = []
  for (const entry of catalog) {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: entry.schema }, { subject: entry.subject })
    registered.push({ subject: entry.subject, id })
  }
  return registered
}
