import crypto from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * `new`: not accepted within the window. `seen`: its fingerprint is in the window — almost surely a
 * duplicate, but a fingerprint can collide, so it goes on to the processor marked for verification against
 * the store rather than being dropped here. `in_flight`: another copy is being written right now.
 */
export type Claim = 'new' | 'seen' | 'in_flight'

const FINGERPRINT_BYTES = 4
/** 2^16 buckets per window: a bucket's string stays a few kilobytes at thousands of events per second. */
const BUCKET_BYTES = 2
/** The window is kept as this many slices, so memory is freed a slice at a time rather than a day at once. */
const SLICES = 4

// Accepted ids are kept as 4-byte fingerprints appended to one string per (time slice, bucket): ~4 bytes per
// event plus a fixed cost per key, against ~220 bytes for a string key per messageId (docs/BENCHMARKS.md).
// Redis has no structure this compact for exact membership (a hash costs ~15 bytes per field in a listpack
// and ~70 beyond it; a Bloom filter is not exact and needs a module), so the scripts below scan the strings.
// Fingerprints of 48 bits (16 choose the bucket, 32 are stored) make a false `seen` rare (~1 in 10^5 at
// 5,000 events/s), and a false `seen` still reaches the store: the processor checks marked events against
// ClickHouse before inserting them, so a new event is never dropped and a duplicate never stored twice.
const CLAIM = `
local pendingMs = ARGV[1]
local w = tonumber(ARGV[2])
local out = {}
local n = #KEYS / (w + 1)
for i = 1, n do
  local base = (i - 1) * (w + 1)
  local fp = ARGV[2 + i]
  local seen = false
  for j = 1, w do
    local s = redis.call('GET', KEYS[base + 1 + j])
    if s then
      local from = 1
      while true do
        local p = string.find(s, fp, from, true)
        if not p then break end
        if (p - 1) % ${FINGERPRINT_BYTES} == 0 then seen = true break end
        from = p + 1
      end
    end
    if seen then break end
  end
  if seen then
    out[i] = 1
  elseif redis.call('SET', KEYS[base + 1], '1', 'PX', pendingMs, 'NX', 'GET') then
    out[i] = 2
  else
    out[i] = 0
  end
end
return out`

// KEYS: the current slice's bucket of each id, then each id's pending key. ARGV: when the slice's keys expire, fingerprints.
const MARK_DONE = `
local n = #KEYS / 2
for i = 1, n do
  if redis.call('APPEND', KEYS[i], ARGV[1 + i]) == ${FINGERPRINT_BYTES} then redis.call('PEXPIREAT', KEYS[i], ARGV[1]) end
  redis.call('DEL', KEYS[n + i])
end
return n`

const CLAIMS: Claim[] = ['new', 'seen', 'in_flight']

type ScriptedRedis = Redis & {
  pulseClaimMessageIds(...args: (string | number | Buffer)[]): Promise<number[]>
  pulseMarkMessageIdsDone(...args: (string | number | Buffer)[]): Promise<number>
}

/**
 * Which messageIds the gateway accepted in the last `ttlMs` (at least; up to a slice more), kept in Redis so
 * every gateway instance shares it. An id is first claimed as pending (briefly, one small key), and its
 * fingerprint recorded only after Kafka acknowledged it: a retry racing its original is told to wait instead
 * of being acknowledged for an event that might still fail.
 */
export class MessageIds {
  private readonly redis: ScriptedRedis
  private readonly sliceMs: number

  constructor(
    redis: Redis,
    private readonly prefix: string,
    readonly ttlMs = 24 * 3_600_000,
    private readonly pendingMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!('pulseClaimMessageIds' in redis)) {
      redis.defineCommand('pulseClaimMessageIds', { lua: CLAIM })
      redis.defineCommand('pulseMarkMessageIdsDone', { lua: MARK_DONE })
    }
    this.redis = redis as ScriptedRedis
    this.sliceMs = Math.ceil(ttlMs / SLICES)
  }

  private static digest(id: string): { bucket: string; fingerprint: Buffer } {
    const d = crypto.createHash('md5').update(id).digest()
    return { bucket: d.subarray(0, BUCKET_BYTES).toString('hex'), fingerprint: d.subarray(BUCKET_BYTES, BUCKET_BYTES + FINGERPRINT_BYTES) }
  }

  private bucketKey(slice: number, bucket: string): string {
    return `${this.prefix}:ids:${slice}:${bucket}`
  }

  private pendingKey(id: string): string {
    return `${this.prefix}:msg:${id}`
  }

  /** Claims every id in one round trip; an id listed twice is claimed once, its later copies are in flight. */
  async claim(ids: string[]): Promise<Claim[]> {
    if (!ids.length) return []
    const current = Math.floor(this.now() / this.sliceMs)
    const keys: string[] = []
    const fingerprints: Buffer[] = []
    for (const id of ids) {
      const { bucket, fingerprint } = MessageIds.digest(id)
      keys.push(this.pendingKey(id))
      // The current slice and the SLICES before it: every id recorded within the last ttlMs.
      for (let s = 0; s <= SLICES; s++) keys.push(this.bucketKey(current - s, bucket))
      fingerprints.push(fingerprint)
    }
    const codes = await this.redis.pulseClaimMessageIds(keys.length, ...keys, this.pendingMs, SLICES + 1, ...fingerprints)
    return codes.map((c) => CLAIMS[c])
  }

  /** Records the ids as accepted (after Kafka acknowledged them) and ends their pending claims. */
  async markDone(ids: string[]): Promise<void> {
    if (!ids.length) return
    const current = Math.floor(this.now() / this.sliceMs)
    const digests = ids.map((id) => MessageIds.digest(id))
    const keys = [...digests.map((d) => this.bucketKey(current, d.bucket)), ...ids.map((id) => this.pendingKey(id))]
    // A slice's keys live until the last claim that reads them ends: SLICES + 1 slices after the slice began.
    await this.redis.pulseMarkMessageIdsDone(keys.length, ...keys, (current + SLICES + 1) * this.sliceMs, ...digests.map((d) => d.fingerprint))
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.del(...ids.map((id) => this.pendingKey(id)))
  }
}

/** Kafka header on events the processor must check against the store before inserting (see MessageIds). */
export const VERIFY_HEADER = 'pulse_verify'
