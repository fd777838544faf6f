import crypto from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * `new`: not accepted within the window. `seen`: the window's filter holds it — a duplicate, or (about 2 in
 * 100 new ids against a full window) a false positive, so it goes on to the processor marked for verification
 * against the store rather than being dropped here. `in_flight`: another copy is being written right now.
 */
export type Claim = 'new' | 'seen' | 'in_flight'

/** The window is kept as this many slices, so memory is freed a slice at a time rather than a day at once. */
const SLICES = 4
/** Filter bits per id and bits set per id: ~0.4 % false positives per full slice, ~2 % against the 5 slices
 * a claim reads (bench/idempotency.ts). More bits buy fewer verifications, at 1/8 byte per id each. */
const BITS_PER_ID = 11
/** Each layer after a slice's first gets this many more bits per id (up to MAX_BITS_PER_ID), so its false
 * positives are ~a quarter of the layer before's: the layers' sum stays bounded however many a slice needs,
 * as in Almeida et al.'s scalable Bloom filters. With the same bits in every layer, a fresh Redis (no slice
 * to size the first layer from) grew 8 layers in its first 6 M ids and its false positives from 0.9 to
 * 4.5 % — each of them an event held up to ~3 s in the verify topic (docs/BENCHMARKS.md, 2026-12-06). */
const BITS_PER_LAYER_AFTER = 3
const MAX_BITS_PER_ID = 23
const HASHES = 8
/** All of an id's bits lie in one 512-bit block: one GETRANGE of 64 bytes per layer answers a claim. */
const BLOCK_BITS = 512
/** A layer holds at least this many ids (12 bits each: 96 KB) ... */
const MIN_IDS_PER_LAYER = 65_536
/** ... and at most a 256 MB string (Redis caps a string at 512 MB). */
const MAX_BLOCKS_PER_LAYER = 2 ** 31 / BLOCK_BITS
/** A slice's first layer is sized for the busier of the slice before it and the same slice a day earlier; */
const FIRST_LAYER_HEADROOM = 1.1
/** a layer added when that was too small holds a quarter of the slice so far. With no slice to go by, each
 * layer added is as large as the slice so far, so the first slice after a start reaches any rate in few layers. */
const LATER_LAYER_SHARE = 0.25

// Accepted ids are kept in blocked Bloom filters, one per (time slice, layer): 11 bits per id (more in later
// layers), against ~220 bytes for a string key per messageId and ~9.6 for the 32-bit fingerprints this
// replaced (docs/BENCHMARKS.md). A filter answers "maybe seen" falsely for a small share of new ids and never
// forgets an id it holds; the false ones still reach the store, because the processor checks marked events
// against ClickHouse before inserting them (processors/stored-duplicates.ts) — so a new event is never
// dropped and a duplicate never stored twice. Redis has no Bloom filter without a module (RedisBloom is not
// in Debian's redis-server), hence these scripts over plain strings.
//
// A slice's filter grows in layers so its size follows the traffic: the first layer is sized from the
// slices before it, and when a layer has taken its capacity another is added (see LATER_LAYER_SHARE).
// Each layer is created at its full size (SETBIT of its last bit allocates exactly; growing by writes
// would let Redis over-allocate up to 2×). Layer keys are derived in the scripts from the slice's key,
// which a single Redis (not a cluster) allows.
//
// Each id arrives as 20 digest bytes: 4 choose the block (modulo a layer's block count), then 8 pairs the
// bit within the block. Redis numbers bits from the most significant bit of each byte.
const DIGEST_LUA = `
local function digest(d)
  local b = { string.byte(d, 1, 20) }
  local pos = {}
  for j = 1, ${HASHES} do pos[j] = (b[3 + 2 * j] * 256 + b[4 + 2 * j]) % ${BLOCK_BITS} end
  return ((b[1] * 256 + b[2]) * 256 + b[3]) * 256 + b[4], pos
end`

// KEYS: each id's pending key, then the slices' keys (current first). ARGV: pending ms, then each id's digest.
const CLAIM = `${DIGEST_LUA}
local n = #ARGV - 1
local layers = {}
for s = n + 1, #KEYS do
  local count = tonumber(redis.call('HGET', KEYS[s], 'layers') or '0')
  for l = 1, count do
    layers[#layers + 1] = { KEYS[s] .. ':' .. l, tonumber(redis.call('HGET', KEYS[s], 'blocks:' .. l)) }
  end
end
local out = {}
for i = 1, n do
  local h, pos = digest(ARGV[1 + i])
  local seen = false
  for _, layer in ipairs(layers) do
    local from = (h % layer[2]) * ${BLOCK_BITS / 8}
    local block = redis.call('GETRANGE', layer[1], from, from + ${BLOCK_BITS / 8 - 1})
    seen = #block == ${BLOCK_BITS / 8}
    for j = 1, ${HASHES} do
      if not seen then break end
      local p = pos[j]
      seen = bit.band(string.byte(block, 1 + math.floor(p / 8)), 2 ^ (7 - p % 8)) ~= 0
    end
    if seen then break end
  end
  if seen then
    out[i] = 1
  elseif redis.call('SET', KEYS[i], '1', 'PX', ARGV[1], 'NX', 'GET') then
    out[i] = 2
  else
    out[i] = 0
  end
end
return out`

// KEYS: the current slice's key, the previous slice's, the same slice a day earlier, then each id's pending
// key. ARGV: when the slice's keys expire, then each id's digest.
const MARK_DONE = `${DIGEST_LUA}
local slice = KEYS[1]
local expireAt = ARGV[1]
local meta = redis.call('HMGET', slice, 'layers', 'held', 'capacity', 'total', 'growth')
local layers, held, capacity, total, growth = tonumber(meta[1] or '0'), tonumber(meta[2] or '0'), tonumber(meta[3] or '0'), tonumber(meta[4] or '0'), tonumber(meta[5] or '1')
local blocks = layers > 0 and tonumber(redis.call('HGET', slice, 'blocks:' .. layers)) or 0
local function addLayer(ids)
  local bits = math.min(${BITS_PER_ID} + ${BITS_PER_LAYER_AFTER} * layers, ${MAX_BITS_PER_ID})
  local b = math.min(math.ceil(math.max(ids, ${MIN_IDS_PER_LAYER}) * bits / ${BLOCK_BITS}), ${MAX_BLOCKS_PER_LAYER})
  layers, held, capacity, blocks = layers + 1, 0, math.floor(b * ${BLOCK_BITS} / bits), b
  local key = slice .. ':' .. layers
  redis.call('SETBIT', key, b * ${BLOCK_BITS} - 1, 0)
  redis.call('PEXPIREAT', key, expireAt)
  redis.call('HSET', slice, 'blocks:' .. layers, b)
end
if layers == 0 then
  local before = math.max(tonumber(redis.call('HGET', KEYS[2], 'total') or '0'), tonumber(redis.call('HGET', KEYS[3], 'total') or '0'))
  addLayer(before * ${FIRST_LAYER_HEADROOM})
  growth = before > 0 and ${LATER_LAYER_SHARE} or 1
  redis.call('PEXPIREAT', slice, expireAt)
end
local n = #ARGV - 1
for i = 1, n do
  if held >= capacity then addLayer(total * growth) end
  local h, pos = digest(ARGV[1 + i])
  local base = (h % blocks) * ${BLOCK_BITS}
  local key = slice .. ':' .. layers
  for j = 1, ${HASHES} do redis.call('SETBIT', key, base + pos[j], 1) end
  held, total = held + 1, total + 1
  redis.call('DEL', KEYS[3 + i])
end
redis.call('HSET', slice, 'layers', layers, 'held', held, 'capacity', capacity, 'total', total, 'growth', growth)
return n`

const CLAIMS: Claim[] = ['new', 'seen', 'in_flight']

type ScriptedRedis = Redis & {
  pulseClaimMessageIds(...args: (string | number | Buffer)[]): Promise<number[]>
  pulseMarkMessageIdsDone(...args: (string | number | Buffer)[]): Promise<number>
}

/**
 * Which messageIds the gateway accepted in the last `ttlMs` (at least; up to a slice more), kept in Redis so
 * every gateway instance shares it. An id is first claimed as pending (briefly, one small key), and added to
 * the filter only after Kafka acknowledged it: a retry racing its original is told to wait instead of being
 * acknowledged for an event that might still fail.
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

  // The one-shot hash: half the cost of a Hash object per id, at two digests per accepted event.
  private static digest(id: string): Buffer {
    return crypto.hash('sha1', id, 'buffer')
  }

  private sliceKey(slice: number): string {
    return `${this.prefix}:ids:${slice}`
  }

  private pendingKey(id: string): string {
    return `${this.prefix}:msg:${id}`
  }

  /** Claims every id in one round trip; an id listed twice is claimed once, its later copies are in flight. */
  async claim(ids: string[]): Promise<Claim[]> {
    if (!ids.length) return []
    const current = Math.floor(this.now() / this.sliceMs)
    // The current slice and the SLICES before it: every id recorded within the last ttlMs.
    const slices = Array.from({ length: SLICES + 1 }, (_, s) => this.sliceKey(current - s))
    const keys = [...ids.map((id) => this.pendingKey(id)), ...slices]
    const codes = await this.redis.pulseClaimMessageIds(keys.length, ...keys, this.pendingMs, ...ids.map(MessageIds.digest))
    return codes.map((c) => CLAIMS[c])
  }

  /** Records the ids as accepted (after Kafka acknowledged them) and ends their pending claims. */
  async markDone(ids: string[]): Promise<void> {
    if (!ids.length) return
    const current = Math.floor(this.now() / this.sliceMs)
    const keys = [this.sliceKey(current), this.sliceKey(current - 1), this.sliceKey(current - SLICES), ...ids.map((id) => this.pendingKey(id))]
    // A slice's keys live until the last claim that reads them ends: SLICES + 1 slices after the slice began.
    await this.redis.pulseMarkMessageIdsDone(keys.length, ...keys, (current + SLICES + 1) * this.sliceMs, ...ids.map(MessageIds.digest))
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.del(...ids.map((id) => this.pendingKey(id)))
  }
}

/** Kafka header on events the processor must check against the store before inserting (see MessageIds). */
export const VERIFY_HEADER = 'pulse_verify'
