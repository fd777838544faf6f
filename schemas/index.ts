import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { registryRest, type RegistryTarget } from '../registry/rest-client.js'

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

export interface PushResult {
  subject: string
  status: 'unchanged' | 'registered' | 'refused'
  id?: number
  version?: number
  message?: string
}

/**
 * Registers what changed in the catalog, idempotently, over the Confluent REST API. Plain REST rather than
 * the kafkajs client, whose register() refuses any subject whose level is not BACKWARD.
 */
export async function pushCatalog(registry: string | RegistryTarget, catalog = readCatalog()): Promise<PushResult[]> {
  const call = registryRest(registry)
  const post = (p: string, body: unknown) => call('POST', p, body)
  const results: PushResult[] = []
  for (const e of catalog) {
    const subject = encodeURIComponent(e.subject)
    const known = await post(`/subjects/${subject}`, { schema: e.schema })
    if (known.status === 200) {
      results.push({ subject: e.subject, status: 'unchanged', id: known.body.id, version: known.body.version })
      continue
    }
    const registered = await post(`/subjects/${subject}/versions`, { schema: e.schema })
    results.push(
      registered.status === 200
        ? { subject: e.subject, status: 'registered', id: registered.body.id }
        : { subject: e.subject, status: 'refused', message: `${registered.status}: ${registered.body.message}` },
    )
  }
  return results
}
