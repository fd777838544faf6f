// What the gateway's messageId deduplication costs in Redis: bytes per accepted event and claims per second,
// for the sliced Bloom filters (gateway/message-ids.ts) against the scheme of one string key per messageId
// held for 24 h, on the same Redis in the same run. Each id is claimed and marked done in batches of 500, as
// the gateway does for a /v1/batch request.
//
// The filters are measured in steady state: a simulated clock runs a day and a half of traffic at a constant
// rate (`perDay` ids a day), so every slice but the first is sized from the ones before it, and memory is
// read at the end of a slice, when the most is held (the window's 4 slices and a full current one: 30 h of
// ids). Redis expires keys by its own clock, so slices the simulated clock has left behind are deleted here.
// Run: node --import tsx bench/idempotency.ts [perDay=4000000] [baselineEvents=1000000]
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { MessageIds } from '../gateway/message-ids.js'
import { startRedisServer } from '../runtime/redis-server.js'

const perDay = Number(process.argv[2] ?? 4_000_000)
const baselineEvents = Number(process.argv[3] ?? 1_000_000)
const BATCH = 500
const DAY = 86_400_000
const SLICE = DAY / 4
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-idempotency-bench-'))
const server = await startRedisServer({ dataDir: dir })
const redis = new Redis(server.url)
// Appending to the AOF is not what is measured here.
await redis.config('SET', 'appendonly', 'no')

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])
const freshIds = (n: number) => Array.from({ length: n }, () => crypto.randomUUID())

// The replaced scheme, as it was: SET key pending PX 30s NX GET, then SET key done PX 24h.
const LEGACY_CLAIM = `local out = {} for i, k in ipairs(KEYS) do local prev = redis.call('SET', k, 'pending', 'PX', ARGV[1], 'NX', 'GET') if not prev then out[i] = 0 elseif prev == 'done' then out[i] = 1 else out[i] = 2 end end return out`
const LEGACY_DONE = `for _, k in ipairs(KEYS) do redis.call('SET', k, 'done', 'PX', ARGV[1]) end return #KEYS`
redis.defineCommand('legacyClaim', { lua: LEGACY_CLAIM })
redis.defineCommand('legacyDone', { lua: LEGACY_DONE })
const legacy = redis as Redis & { legacyClaim(...a: (string | number)[]): Promise<number[]>; legacyDone(...a: (string | number)[]): Promise<number> }

await redis.flushall()
let before = await usedMemory()
let started = Date.now()
for (let i = 0; i < baselineEvents; i += BATCH) {
  const keys = freshIds(Math.min(BATCH, baselineEvents - i)).map((id) => `bench:msg:${id}`)
  await legacy.legacyClaim(keys.length, ...keys, 30_000)
  await legacy.legacyDone(keys.length, ...keys, DAY)
}
const legacyRun = { bytes: ((await usedMemory()) - before) / baselineEvents, perSecond: (baselineEvents / (Date.now() - started)) * 1000 }

await redis.flushall()
before = await usedMemory()
// Start at a slice boundary, so each simulated slice is whole.
const t0 = Math.ceil(Date.now() / SLICE) * SLICE
let at = t0
const ids = new MessageIds(redis, 'bench', DAY, 30_000, () => at)
const slicesRun = 6
const perSlice = Math.round(perDay / 4)
const falseSeen: number[] = []
let steadyIds = 0
let steadyMs = 0
let peakBytes = 0
const memory: string[] = []
for (let slice = 0; slice < slicesRun; slice++) {
  // What Redis would have expired by now: the slice before the window's oldest.
  const stale = await redis.keys(`bench:ids:${Math.floor(t0 / SLICE) + slice - 5}*`)
  if (stale.length) await redis.del(...stale)
  const sliceStarted = Date.now()
  let seen = 0
  for (let i = 0; i < perSlice; i += BATCH) {
    at = t0 + slice * SLICE + Math.floor((i / perSlice) * SLICE)
    const batch = freshIds(Math.min(BATCH, perSlice - i))
    const claims = await ids.claim(batch)
    seen += claims.filter((c) => c === 'seen').length
    await ids.markDone(batch.filter((_, k) => claims[k] === 'new'))
  }
  if (slice === 0) await redis.config('RESETSTAT')
  if (slice >= 1) {
    steadyIds += perSlice
    steadyMs += Date.now() - sliceStarted
  }
  falseSeen.push(seen / perSlice)
  const bytes = (await usedMemory()) - before
  peakBytes = Math.max(peakBytes, bytes)
  memory.push(`${((slice + 1) * 6).toString().padStart(2)} h: ${(bytes / 2 ** 20).toFixed(0)} MB`)
  process.stdout.write(`\rslice ${slice + 1}/${slicesRun}`)
}
process.stdout.write('\r\x1b[K')
// Redis's own time in the scripts: what one Redis core can take, whatever the clients.
const scriptUsec = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? NaN)
const redisUsPerEvent = scriptUsec / steadyIds
// Claims against a full window: the false positive rate the gateway answers with, and the claim rate.
at = t0 + slicesRun * SLICE - 1
const probe = freshIds(200_000)
started = Date.now()
let probeSeen = 0
for (let i = 0; i < probe.length; i += BATCH) probeSeen += (await ids.claim(probe.slice(i, i + BATCH))).filter((c) => c === 'seen').length
const claimsFull = (probe.length / (Date.now() - started)) * 1000
const falsePositive = probeSeen / probe.length
const bytesPerEvent = peakBytes / perDay

const gb = (bytesPerEvent: number, perSecond: number) => ((bytesPerEvent * perSecond * 86_400) / 2 ** 30).toFixed(1)
const n = (x: number) => Math.round(x).toLocaleString('en-US')
console.log(`per-key strings (baseline): ${legacyRun.bytes.toFixed(1)} bytes/event, ${n(legacyRun.perSecond)} events/s claimed+marked (${n(baselineEvents)} ids)`)
console.log(`sliced Bloom filters:       ${bytesPerEvent.toFixed(2)} bytes per event of a day held (peak ${(peakBytes / 2 ** 20).toFixed(0)} MB for ${n(perDay)} ids a day), ${n((steadyIds / steadyMs) * 1000)} events/s claimed+marked in steady state`)
console.log(`Redis time in the scripts: ${redisUsPerEvent.toFixed(1)} µs per event claimed+marked (one Redis core: ~${n(1e6 / redisUsPerEvent)} events/s)`)
console.log(`memory after each simulated slice: ${memory.join(', ')}`)
console.log(`new ids answered "seen": per slice while filling ${falseSeen.map((f) => (f * 100).toFixed(2) + '%').join(' ')}; against a full window ${(falsePositive * 100).toFixed(2)}% (${n(probe.length)} fresh ids), claims ${n(claimsFull)}/s`)
console.log(`ratio: ${(legacyRun.bytes / bytesPerEvent).toFixed(0)}× less memory; throughput ${((steadyIds / steadyMs) * 1000 / legacyRun.perSecond).toFixed(2)}× the baseline`)
console.log(`a day at 5,000 events/s: ${gb(legacyRun.bytes, 5000)} GB before, ${gb(bytesPerEvent, 5000)} GB now; at 9,300 (the platform's measured end-to-end rate): ${gb(bytesPerEvent, 9300)} GB; at 28,000 (a gateway-only process): ${gb(bytesPerEvent, 28_000)} GB`)
redis.disconnect()
await server.stop()
fs.rmSync(dir, { recursive: true, force: true })
