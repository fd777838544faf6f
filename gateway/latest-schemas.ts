import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type avro from 'avsc'

export interface EventSchema {
  id: number
  type: avro.Type
}

/**
 * The latest registered schema of each event subject. The registry client already caches schemas by id;
 * "latest" is a moving target, so it is re-asked at most once per `ttlMs` per subject, and concurrent
 * misses share one request.
 */
export class LatestSchemas {
  private readonly cache = new Map<string, { expires: number; value: Promise<EventSchema | undefined> }>()

  constructor(private readonly registry: SchemaRegistry, private readonly ttlMs = 5_000) {}

  get(subject: string): Promise<EventSchema | undefined> {
    const now = Date.now()
    const hit = this.cache.get(subject)
    if (hit && hit.expires > now) return hit.value
    const value = this.fetch(subject)
    this.cache.set(subject, { expires: now + this.ttlMs, value })
    // A failed lookup (registry down) must not be remembered.
    value.catch(() => this.cache.delete(subject))
    return value
  }

  private async fetch(subject: string): Promise<EventSchema | undefined> {
    let id: number
    try {
      id = await this.registry.getLatestSchemaId(subject)
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined
      throw err
    }
    const type = (await this.registry.getSchema(id)) as unknown as avro.Type
    return { id, type }
  }
}
