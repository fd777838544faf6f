import path from 'node:path'
import type { RegistryTarget } from '../registry/rest-client.js'
import { basic, bearer, parseScopes, splitApiKeyEntry, UNSCOPED, type Scope } from '../runtime/auth/index.js'
import { readEndpoints } from '../runtime/endpoints-file.js'

type Env = NodeJS.ProcessEnv

/** The first secret of PULSE_API_KEYS whose entry holds `scope` (an entry without scopes holds UNSCOPED); `any`: the first. */
export function keyFromEntries(apiKeys: string | undefined, scope: Scope | 'any'): string | undefined {
  for (const entry of (apiKeys ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const { secret, scopes: named } = splitApiKeyEntry(entry)
    const parsed = named ? parseScopes(named) : { scopes: [...UNSCOPED] }
    if ('scopes' in parsed && (scope === 'any' || parsed.scopes.includes(scope))) return secret
  }
  return undefined
}

/**
 * The key a CLI command presents: `--key`, else PULSE_API_KEY, else the first PULSE_API_KEYS entry with the
 * scope it needs, else the development key of the `pulse dev` running on PULSE_DATA_DIR.
 */
export function cliApiKey(scope: Scope | 'any', flag: string | undefined, env: Env = process.env): string | undefined {
  return flag ?? (env.PULSE_API_KEY || undefined) ?? keyFromEntries(env.PULSE_API_KEYS, scope) ?? running(env)?.apiKey
}

/** What to tell someone whose command found no key. */
export function noKeyMessage(scope: Scope): string {
  return `no API key with the ${scope} scope: pass --key, set PULSE_API_KEY, or give PULSE_API_KEYS an entry with it (name:secret:${scope}); \`pulse keys create NAME --scopes ${scope}\` makes one`
}

function running(env: Env) {
  return readEndpoints(path.resolve(env.PULSE_DATA_DIR || './.pulse'))
}

export interface GraphQLEndpoint {
  url: string
  authorization: string
}

/**
 * The GraphQL endpoint a CLI command talks to — `--graphql`, else PULSE_GRAPHQL_URL, else the running `pulse dev`
 * of PULSE_DATA_DIR — with a key holding `scope` (read for queries, write for mutations). Throws saying what to do.
 */
export function graphqlEndpoint(values: { graphql?: string; key?: string }, scope: 'read' | 'write', env: Env = process.env): GraphQLEndpoint {
  const url = values.graphql ?? env.PULSE_GRAPHQL_URL ?? running(env)?.graphql
  if (!url) throw new Error('no running Pulse found: start `pulse dev` (same PULSE_DATA_DIR), or pass --graphql URL or set PULSE_GRAPHQL_URL')
  const key = cliApiKey(scope, values.key, env)
  if (!key) throw new Error(noKeyMessage(scope))
  return { url, authorization: bearer(key) }
}

/**
 * The registry a command talks to — `--registry`, else PULSE_REGISTRY_URL, else the running `pulse dev`'s, else
 * localhost:8081 — and its credentials: `--user-info NAME:SECRET` (Confluent's basic.auth.user.info, also from
 * PULSE_REGISTRY_USER_INFO), else a Pulse key as for other commands (admin for writes, any for reads), else none
 * (an open registry).
 */
export function registryTarget(values: { registry?: string; key?: string; 'user-info'?: string }, scope: 'admin' | 'any', env: Env = process.env): RegistryTarget {
  const url = values.registry ?? env.PULSE_REGISTRY_URL ?? (running(env)?.registry || 'http://127.0.0.1:8081')
  const userInfo = values['user-info'] ?? (env.PULSE_REGISTRY_USER_INFO || undefined)
  if (userInfo !== undefined) {
    if (!/^[^:]+:.+$/.test(userInfo)) throw new Error('--user-info / PULSE_REGISTRY_USER_INFO must be NAME:SECRET (a key name and its secret, as Confluent clients\' basic.auth.user.info)')
    return { url, authorization: basic(userInfo) }
  }
  const key = cliApiKey(scope, values.key, env)
  return { url, authorization: key ? bearer(key) : undefined }
}
