// What the gateway's messageId deduplication costs in Redis: bytes per accepted event and claims per second,
// for the fingerprint slices (gateway/message-ids.ts) against the scheme they replaced — one string key per
// messageId held for 24 h — on the same Redis in the same run. Each id is claimed and marked done in batches
// of 500, as the gateway does for a /v1/batch request.
// Run: node --import tsx bench/idempotency.ts [events=4000000] [baselineEvents=1000000]
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { MessageIds } from '../gateway/message-ids.js'
import { startRedisServer } from '../runtime/redis-server.js'

const events = Number(process.argv[2] ?? 4_000_000)
const baselineEvents = Number(process.argv[3] ?? 1_000_000)
const BATCH = 500
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-idempotency-bench-'))
const server = await startRedisServer({ dataDir: dir })
const redis = new Redis(server.url)
// Appending to the AOF is not what is measured here.
await redis.config('SET', 'appendonly', 'no')

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1])

// The replaced scheme, as it was: SET key pending PX 30s NX GET, then SET key done PX 24h.
const LEGACY_CLAIM = `local out = {} for i, k in ipairs(KEYS) do local prev = redis.call('SET', k, 'pending', 'PX', ARGV[1], 'NX', 'GET') if not prev then out[i] = 0 elseif prev == 'done' then out[i] = 1 else out[i] = 2 end end return out`
const LEGACY_DONE = `for _, k in ipairs(KEYS) do redis.call('SET', k, 'done', 'PX', ARGV[1]) end return #KEYS`
redis.defineCommand('legacyClaim', { lua: LEGACY_CLAIM })
redis.defineCommand('legacyDone', { lua: LEGACY_DONE })
const legacy = redis as Redis & { legacyClaim(...a: (string | number)[]): Promise<number[]>; legacyDone(...a: (string | number)[]): Promise<number> }

async function run(name: string, n: number, claimAndMark: (ids: string[]) => Promise<void>): Promise<{ bytes: number; perSecond: number }> {
  await redis.flushall()
  const before = await usedMemory()
  const started = Date.now()
  for (let i = 0; i < n; i += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, n - i) }, () => crypto.randomUUID())
    await claimAndMark(ids)
    if (i % 500_000 === 0 && i) process.stdout.write(`\r${name}: ${i.toLocaleString('en-US')} ids`)
  }
  const ms = Date.now() - started
  const bytes = ((await usedMemory()) - before) / n
  process.stdout.write('\r\x1b[K')
  return { bytes, perSecond: (n / ms) * 1000 }
}

const ids = new MessageIds(redis, 'bench')
const legacyRun = await run('per-key strings', baselineEvents, async (batch) => {
  const keys = batch.map((id) => `bench:msg:${id}`)
  await legacy.legacyClaim(keys.length, ...keys, 30_000)
  await legacy.legacyDone(keys.length, ...keys, 24 * 3_600_000)
})
const sliced = await run('fingerprint slices', events, async (batch) => {
  await ids.claim(batch)
  await ids.markDone(batch)
})
// A re-run of the same traffic (every id a duplicate) exercises the scan of full slices.
const fresh = Array.from({ length: 100_000 }, () => crypto.randomUUID())
let t = Date.now()
for (let i = 0; i < fresh.length; i += BATCH) await ids.claim(fresh.slice(i, i + BATCH))
const claimsFull = (fresh.length / (Date.now() - t)) * 1000

const gb = (bytesPerEvent: number, perSecond: number) => ((bytesPerEvent * perSecond * 86_400) / 2 ** 30).toFixed(1)
console.log(`per-key strings (baseline): ${legacyRun.bytes.toFixed(1)} bytes/event, ${Math.round(legacyRun.perSecond).toLocaleString('en-US')} events/s claimed+marked (${baselineEvents.toLocaleString('en-US')} ids)`)
console.log(`fingerprint slices:         ${sliced.bytes.toFixed(1)} bytes/event, ${Math.round(sliced.perSecond).toLocaleString('en-US')} events/s claimed+marked (${events.toLocaleString('en-US')} ids)`)
console.log(`ratio: ${(legacyRun.bytes / sliced.bytes).toFixed(1)}× less memory; throughput ${(sliced.perSecond / legacyRun.perSecond).toFixed(2)}× the baseline; claims against ${events.toLocaleString('en-US')} stored ids: ${Math.round(claimsFull).toLocaleString('en-US')}/s`)
console.log(`a day at 5,000 events/s: ${gb(legacyRun.bytes, 5000)} GB before, ${gb(sliced.bytes, 5000)} GB now; at 9,300 (the platform's measured end-to-end rate): ${gb(sliced.bytes, 9300)} GB; at 28,000 (a gateway-only process): ${gb(sliced.bytes, 28_000)} GB`)
redis.disconnect()
await server.stop()
fs.rmSync(dir, { recursive: true, force: true })
