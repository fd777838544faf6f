import type { ApiKey, ApiKeys } from './api-keys.js'
import { hasScope } from './api-keys.js'
import type { Scope } from './scopes.js'

/**
 * Who may do what, decided once for every surface; each surface words the refusal in its own protocol
 * (the gateway's error body, Confluent's error_code, GraphQL's extensions.code).
 */
export type Authorization =
  | { ok: true; key: ApiKey }
  | { ok: false; status: 401 | 403 | 503; message: string }

/** The key of an Authorization header if it holds one of `scopes`; else why not. */
export async function authorize(apiKeys: ApiKeys, header: string | undefined, scopes: readonly Scope[]): Promise<Authorization> {
  let key: ApiKey | undefined
  try {
    key = await apiKeys.authenticate(header)
  } catch {
    return { ok: false, status: 503, message: 'API keys could not be checked: the key store is unreachable' }
  }
  if (!key) {
    const message = header
      ? 'the API key is not valid: send "Authorization: Bearer <secret>", Basic auth with the key\'s name and secret, or Basic auth with the secret as user name and an empty password (a Segment write key)'
      : 'an API key is required: send "Authorization: Bearer <secret>", Basic auth with the key\'s name and secret, or Basic auth with the secret as user name and an empty password (a Segment write key)'
    return { ok: false, status: 401, message }
  }
  if (!scopes.some((s) => hasScope(key, s))) {
    const needs = scopes.length === 1 ? `the ${scopes[0]} scope` : `one of the scopes ${scopes.join(', ')}`
    return { ok: false, status: 403, message: `API key "${key.name}" may not do this: it needs ${needs}` }
  }
  return { ok: true, key }
}
