import crypto from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * What a key may do: `track` sends live events (timestamps within the gateway's window), `backfill` sends
 * events of any age (history for the churn model, `pulse import`). Validation is the same for both.
 */
export const SCOPES = ['track', 'backfill'] as const
export type ApiKeyScope = (typeof SCOPES)[number]

export interface ApiKey {
  name: string
  /** Event subjects this key may send; null allows every event. */
  events: string[] | null
  /** Absent on keys stored before scopes existed: those track. */
  scopes?: ApiKeyScope[]
  createdAt: string
}

/** A key from PULSE_API_KEYS. */
export interface ConfiguredKey {
  secret: string
  scopes: ApiKeyScope[]
}

export function scopesOf(key: ApiKey): ApiKeyScope[] {
  return key.scopes ?? ['track']
}

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
export function parseScopes(text: string): { scopes: ApiKeyScope[] } | { error: string } {
  const parts = text.split('+').map((p) => p.trim())
  const unknown = parts.filter((p) => !(SCOPES as readonly string[]).includes(p))
  if (!parts.length || unknown.length) return { error: `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; scopes are ${SCOPES.join(', ')}, joined with + (e.g. track+backfill)` }
  return { scopes: [...new Set(parts)] as ApiKeyScope[] }
}

/**
 * API keys, stored as SHA-256 digests (the secrets are 144-bit random, so a fast hash is enough: there
 * is nothing to brute-force), in Redis so every gateway and the CLI share them. Keys from PULSE_API_KEYS
 * are checked first and may send every event, with their scopes (track unless named). Lookups are cached for `cacheMs`, so a revoked key stops
 * working within that time.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { expires: number; key: Promise<ApiKey | undefined> }>()
  private readonly configured: { digest: Buffer; key: ApiKey }[]

  constructor(
    private readonly redis: Redis | undefined,
    private readonly prefix: string,
    configured: Map<string, ConfiguredKey> = new Map(),
    private readonly cacheMs = 5_000,
  ) {
    this.configured = [...configured].map(([name, { secret, scopes }]) => ({ digest: sha256(secret), key: { name, events: null, scopes, createdAt: '' } }))
  }

  private get hashKey() {
    return `${this.prefix}:apikeys`
  }
  private get nameKey() {
    return `${this.prefix}:apikey-names`
  }

  /** The key behind `Authorization: Bearer <secret>`, or undefined. */
  async authenticate(authorization: string | undefined): Promise<ApiKey | undefined> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!m) return undefined
    const digest = sha256(m[1])
    let found: ApiKey | undefined
    // Compared in constant time: these secrets are held in memory, not looked up by digest.
    for (const c of this.configured) if (crypto.timingSafeEqual(c.digest, digest)) found = c.key
    if (found || !this.redis) return found
    const id = digest.toString('hex')
    const now = Date.now()
    const hit = this.cache.get(id)
    if (hit && hit.expires > now) return hit.key
    const key = this.redis.hget(this.hashKey, id).then((v) => (v ? (JSON.parse(v) as ApiKey) : undefined))
    this.cache.set(id, { expires: now + this.cacheMs, key })
    key.catch(() => this.cache.delete(id))
    return key
  }

  /** Makes a key; the secret is returned once and never stored. */
  async create(name: string, events: string[] | null, scopes: ApiKeyScope[] = ['track']): Promise<{ key: ApiKey; secret: string }> {
    if (!this.redis) throw new Error('API keys need Redis')
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`key names are 1-64 letters, digits, ".", "_" or "-"; got "${name}"`)
    if (this.configured.some((c) => c.key.name === name)) throw new Error(`"${name}" is already a key from PULSE_API_KEYS`)
    const { secret } = generateApiKey(name)
    if (!scopes.length) throw new Error('a key needs at least one scope: track, backfill')
    const key: ApiKey = { name, events, scopes, createdAt: new Date().toISOString() }
    const id = sha256(secret).toString('hex')
    const taken = await this.redis.hsetnx(this.nameKey, name, id)
    if (!taken) throw new Error(`a key named "${name}" exists; revoke it first`)
    await this.redis.hset(this.hashKey, id, JSON.stringify(key))
    return { key, secret }
  }

  async list(): Promise<ApiKey[]> {
    const stored = this.redis ? Object.values(await this.redis.hgetall(this.hashKey)).map((v) => JSON.parse(v) as ApiKey) : []
    return [...this.configured.map((c) => c.key), ...stored].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** True when a key of that name existed. Keys from PULSE_API_KEYS are revoked by removing them there. */
  async revoke(name: string): Promise<boolean> {
    if (!this.redis) return false
    const id = await this.redis.hget(this.nameKey, name)
    if (!id) return false
    await this.redis.multi().hdel(this.hashKey, id).hdel(this.nameKey, name).exec()
    return true
  }
}

export function mayTrack(key: ApiKey, event: string): boolean {
  return key.events === null || key.events.includes(event)
}

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest()
}

/** A fresh development key, printed by `pulse dev` when PULSE_API_KEYS is unset. */
export function generateApiKey(name = 'dev'): { name: string; secret: string } {
  return { name, secret: `pk_${crypto.randomBytes(18).toString('base64url')}` }
}
