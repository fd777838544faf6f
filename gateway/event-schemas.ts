import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type avro from 'avsc'
import { registryRest, type RegistryTarget } from '../registry/rest-client.js'
import { isUnknownProperties, type UnknownProperties } from '../registry/schema-store.js'

export interface EventSchema {
  id: number
  version: number
  type: avro.Type
}

/**
 * The schema an event is validated and encoded with: its subject's latest version, or the version the
 * producer pinned. A pinned version never changes, so it is cached for good; "latest" is re-asked at most
 * once per `latestTtlMs`. Concurrent misses share one request, and failures are not remembered.
 * Schemas by id come from the registry client, which caches them in process.
 */
export class EventSchemas {
  private readonly cache = new Map<string, { expires: number; value: Promise<unknown> }>()
  private readonly rest: ReturnType<typeof registryRest>

  constructor(
    target: string | RegistryTarget,
    private readonly registry: SchemaRegistry,
    private readonly latestTtlMs = 5_000,
  ) {
    this.rest = registryRest(target)
  }

  /** undefined when the subject, or that version of it, does not exist. */
  get(subject: string, version: number | 'latest' = 'latest'): Promise<EventSchema | undefined> {
    const pinned = version !== 'latest'
    return this.remember(`schema:${subject}@${version}`, pinned ? Infinity : this.latestTtlMs, pinned, () => this.fetch(subject, version))
  }

  /** Every registered subject (event) with the versions it has (soft-deleted ones left out), as of at most `latestTtlMs` ago. */
  catalog(): Promise<{ subject: string; versions: number[] }[]> {
    return this.remember('catalog', this.latestTtlMs, false, async () => {
      const subjects = await this.rest('GET', '/subjects')
      if (subjects.status !== 200 || !Array.isArray(subjects.body)) throw new Error(`registry answered ${subjects.status} for the subjects`)
      const all = await Promise.all(
        (subjects.body as string[]).map(async (subject) => {
          const res = await this.rest('GET', `/subjects/${encodeURIComponent(subject)}/versions`)
          // Deleted since the list was read.
          if (res.status === 404) return undefined
          if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`registry answered ${res.status} for the versions of ${subject}`)
          return { subject, versions: (res.body as number[]).slice().sort((a, b) => a - b) }
        }),
      )
      return all.filter((s) => s !== undefined && s.versions.length > 0) as { subject: string; versions: number[] }[]
    }) as Promise<{ subject: string; versions: number[] }[]>
  }

  /** Shares one request per key among concurrent callers and keeps its answer for `ttlMs`; failures are forgotten. */
  private remember<T>(key: string, ttlMs: number, forgetMisses: boolean, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = Date.now()
    const hit = this.cache.get(key)
    if (hit && hit.expires > now) return hit.value as Promise<T | undefined>
    const value = load()
    this.cache.set(key, { expires: now + ttlMs, value })
    value.then(
      (v) => v === undefined && forgetMisses && this.cache.delete(key),
      () => this.cache.delete(key),
    )
    return value
  }

  private async fetch(subject: string, version: number | 'latest'): Promise<EventSchema | undefined> {
    const res = await this.rest('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`)
    if (res.status === 404) return undefined
    if (res.status !== 200) throw new Error(`registry answered ${res.status} for ${subject} version ${version}`)
    const body = res.body as { id: number; version: number }
    const type = (await this.registry.getSchema(body.id)) as unknown as avro.Type
    return { id: body.id, version: body.version, type }
  }

  /**
   * The subject's `unknownProperties` from its registry config (Pulse's extension of a Confluent subject
   * config), or undefined when it has none or the registry does not know the setting. Re-asked at most once
   * per `latestTtlMs`, like "latest", so a change applies within seconds.
   */
  unknownProperties(subject: string): Promise<UnknownProperties | undefined> {
    return this.remember(`config:${subject}`, this.latestTtlMs, false, async () => {
      const res = await this.rest('GET', `/config/${encodeURIComponent(subject)}`)
      if (res.status === 404) return undefined
      if (res.status !== 200) throw new Error(`registry answered ${res.status} for the config of ${subject}`)
      const v = (res.body as { unknownProperties?: unknown }).unknownProperties
      return isUnknownProperties(v) ? v : undefined
    })
  }
}
