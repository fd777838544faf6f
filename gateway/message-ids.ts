import type { Redis } from 'ioredis'

export type Claim = 'new' | 'done' | 'in_flight'

// One script call per batch instead of a SET per id: a 100-event batch is then one ioredis command, not 100
// (ioredis's per-command cost showed in the gateway's CPU profile). Scripts run atomically and name their
// keys in KEYS; ioredis's defineCommand sends them by SHA (EVALSHA, loading the script when Redis lacks it).
// A Redis Cluster would need the batch's keys in one slot; Pulse uses a single Redis.
const CLAIM = `
local out = {}
for i, k in ipairs(KEYS) do
  local prev = redis.call('SET', k, 'pending', 'PX', ARGV[1], 'NX', 'GET')
  if not prev then out[i] = 0 elseif prev == 'done' then out[i] = 1 else out[i] = 2 end
end
return out`
const MARK_DONE = `
for _, k in ipairs(KEYS) do redis.call('SET', k, 'done', 'PX', ARGV[1]) end
return #KEYS`

const CLAIMS: Claim[] = ['new', 'done', 'in_flight']

type ScriptedRedis = Redis & {
  pulseClaimMessageIds(...args: (string | number)[]): Promise<number[]>
  pulseMarkMessageIdsDone(...args: (string | number)[]): Promise<number>
}

/**
 * Which messageIds the gateway already accepted in the last `ttlMs`, kept in Redis so every gateway
 * instance shares it. An id is first claimed as pending (briefly), and marked done only after Kafka
 * acknowledged it: a retry racing its original is told to wait instead of being acknowledged for an
 * event that might still fail.
 */
export class MessageIds {
  private readonly redis: ScriptedRedis

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 24 * 3_600_000,
    private readonly pendingMs = 30_000,
  ) {
    if (!('pulseClaimMessageIds' in redis)) {
      redis.defineCommand('pulseClaimMessageIds', { lua: CLAIM })
      redis.defineCommand('pulseMarkMessageIdsDone', { lua: MARK_DONE })
    }
    this.redis = redis as ScriptedRedis
  }

  private key(id: string): string {
    return `${this.prefix}:msg:${id}`
  }

  /** Claims every id in one round trip; an id listed twice is claimed once, its later copies are in flight. */
  async claim(ids: string[]): Promise<Claim[]> {
    if (!ids.length) return []
    const codes = await this.redis.pulseClaimMessageIds(ids.length, ...ids.map((id) => this.key(id)), this.pendingMs)
    return codes.map((c) => CLAIMS[c])
  }

  async markDone(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.pulseMarkMessageIdsDone(ids.length, ...ids.map((id) => this.key(id)), this.ttlMs)
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.del(...ids.map((id) => this.key(id)))
  }
}
