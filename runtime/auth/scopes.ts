/**
 * What a key may do, one scope per surface: `track` sends live events (timestamps within the gateway's
 * window), `backfill` sends events of any age (history for the churn model, `pulse import`), `read` queries and
 * subscribes over GraphQL, `write` runs GraphQL mutations, `admin` changes the schema registry and manages keys.
 */
export const SCOPES = ['track', 'backfill', 'read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/**
 * The scopes of a PULSE_API_KEYS entry that names none, and of a key stored before scopes existed: what such
 * keys could always do (track) and reading the API, which was open before keys guarded it.
 */
export const UNSCOPED: readonly Scope[] = ['track', 'read']

/**
 * One PULSE_API_KEYS entry, `name:secret` or `name:secret:scope+scope`, split into its parts (unvalidated). A
 * secret may itself hold ':', so the last part is read as scopes only when it looks like them.
 */
export function splitApiKeyEntry(entry: string): { name: string; secret: string; scopes?: string; parts: number } {
  const parts = entry.split(':')
  const last = parts.length > 2 ? parts.at(-1)! : undefined
  const scoped = last !== undefined && /^[a-z]+(\+[a-z]+)*$/.test(last)
  return { name: parts[0], secret: parts.slice(1, scoped ? -1 : undefined).join(':'), scopes: scoped ? last : undefined, parts: parts.length }
}

/** `track+backfill` → the scopes, or a message saying what is wrong. */
export function parseScopes(text: string): { scopes: Scope[] } | { error: string } {
  const parts = text.split('+').map((p) => p.trim())
  const unknown = parts.filter((p) => !(SCOPES as readonly string[]).includes(p))
  if (!parts.length || unknown.length) return { error: `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; scopes are ${SCOPES.join(', ')}, joined with + (e.g. track+backfill)` }
  return { scopes: [...new Set(parts)] as Scope[] }
}
