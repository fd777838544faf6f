/** An answer from a Confluent-API registry: status and parsed JSON body (null when there is none). */
export interface RestAnswer {
  status: number
  body: any
}

/** A registry and the Authorization header to present to it (a Pulse key as Bearer, or Basic user info). */
export interface RegistryTarget {
  url: string
  authorization?: string
}

export type RegistryCall = (method: string, path: string, body?: unknown) => Promise<RestAnswer>

/**
 * The plain-REST client Pulse's own tools use against any Confluent-compatible registry (Pulse's or
 * Confluent's). The kafkajs client covers producers and consumers; it has no calls for deletes, modes or
 * imports, and its register() insists on the BACKWARD level, so catalog and transfer tools use this.
 */
export function registryRest(target: string | RegistryTarget): RegistryCall {
  const { url, authorization } = typeof target === 'string' ? { url: target, authorization: undefined } : target
  const base = url.replace(/\/+$/, '')
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.schemaregistry.v1+json',
        ...(authorization ? { authorization } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: await res.json().catch(() => null) }
  }
}
