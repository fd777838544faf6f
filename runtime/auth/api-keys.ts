import crypto from 'node:crypto'
import type { Redis } from 'ioredis'
import { readAuthorization } from './credentials.js'
import { SCOPES, UNSCOPED, type Scope } from './scopes.js'

export interface ApiKey {
  name: string
  /** Event subjects this key may send; null allows every event. */
  events: string[] | null
  /** Absent on keys stored before scopes existed: see UNSCOPED. */
  scopes?: Scope[]
  createdAt: string
}

/** A key from PULSE_API_KEYS (or one the platform makes for itself). */
export interface ConfiguredKey {
  secret: string
  scopes: Scope[]
}

export function scopesOf(key: ApiKey): readonly Scope[] {
  return key.scopes ?? UNSCOPED
}

export function hasScope(key: ApiKey, scope: Scope): boolean {
  return scopesOf(key).includes(scope)
}

/**
 * API keys, stored as SHA-256 digests (the secrets are 144-bit random, so a fast hash is enough: there
 * is nothing to brute-force), in Redis so every service and the CLI share them. Keys from PULSE_API_KEYS
 * are checked first and may send every event, with their scopes (UNSCOPED unless named). Lookups are cached
 * for `cacheMs`, so a revoked key stops working within that time.
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

  /**
   * The key behind an Authorization header (`Bearer <secret>`, `Basic` with the key's name and secret, or `Basic`
   * with the secret as user name and an empty password, as Segment's libraries send a write key), or undefined.
   * Throws when the key store cannot be reached.
   */
  async authenticate(authorization: string | undefined): Promise<ApiKey | undefined> {
    const credentials = readAuthorization(authorization)
    if (!credentials) return undefined
    const key = await this.bySecret(credentials.secret)
    // Basic auth names the key too: a secret presented under another key's name is refused.
    return key && (credentials.scheme !== 'Basic' || credentials.name === key.name) ? key : undefined
  }

  private async bySecret(secret: string): Promise<ApiKey | undefined> {
    const digest = sha256(secret)
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
  async create(name: string, events: string[] | null, scopes: Scope[] = [...UNSCOPED]): Promise<{ key: ApiKey; secret: string }> {
    if (!this.redis) throw new Error('API keys need Redis')
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`key names are 1-64 letters, digits, ".", "_" or "-"; got "${name}"`)
    if (this.configured.some((c) => c.key.name === name)) throw new Error(`"${name}" is already a key from PULSE_API_KEYS`)
    const { secret } = generateApiKey(name)
    if (!scopes.length) throw new Error(`a key needs at least one scope: ${SCOPES.join(', ')}`)
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

/** A fresh key: the development key `pulse dev` prints when PULSE_API_KEYS is unset, or a process's own. */
export function generateApiKey(name = 'dev'): { name: string; secret: string } {
  return { name, secret: `pk_${crypto.randomBytes(18).toString('base64url')}` }
}
