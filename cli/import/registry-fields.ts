/**
 * The fields of an event as the registry holds them: the schema the gateway will validate the event with
 * (its latest version, or the version the mapping pins), so a CSV cell is converted to the type that will
 * be checked, and a property the catalog does not declare is caught before anything is sent.
 */
import { registryRest, type RegistryTarget } from '../../registry/rest-client.js'
import { eventFields, type EventFields } from './field-types.js'

/** The fields of `event` at `version` (latest when absent); undefined when the registry has no such schema. */
export type FieldsLookup = (event: string, version?: number) => Promise<EventFields | undefined>

export function registryFields(target: RegistryTarget): FieldsLookup {
  const call = registryRest(target)
  return async (event, version) => {
    let res: Awaited<ReturnType<typeof call>>
    try {
      res = await call('GET', `/subjects/${encodeURIComponent(event)}/versions/${version ?? 'latest'}`)
    } catch (err) {
      throw new Error(`cannot reach the schema registry at ${target.url} for the schema of "${event}" (${(err as Error).message}); pass --registry URL or set PULSE_REGISTRY_URL`)
    }
    if (res.status === 404) return undefined
    if (res.status !== 200) throw new Error(`the schema registry at ${target.url} answered ${res.status} for the schema of "${event}": ${res.body?.message ?? ''}`.trim())
    const body = res.body as { schema?: string; schemaType?: string }
    if (body.schemaType && body.schemaType !== 'AVRO') throw new Error(`"${event}" has a ${body.schemaType} schema; CSV import reads Avro schemas only`)
    return eventFields(JSON.parse(body.schema ?? 'null'))
  }
}
