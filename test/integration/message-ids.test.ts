import crypto from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { MessageIds } from '../../gateway/message-ids.js'
import { uniqueName } from '../support/fixtures.js'

const HOUR = 3_600_000

describe('messageId ledger on real Redis', () => {
  const redis = new Redis(inject('redisUrl'))
  afterAll(() => redis.disconnect())

  it('claims an id once, says in_flight until Kafka acknowledged it, then seen; a failed send frees it', async () => {
    const prefix = uniqueName('ids')
    const ids = new MessageIds(redis, prefix)
    expect(await ids.claim(['a', 'b', 'a'])).toEqual(['new', 'new', 'in_flight'])
    expect(await ids.claim(['a'])).toEqual(['in_flight'])
    // A pending claim expires on its own (30 s) should the gateway die before Kafka answers.
    expect(await redis.pttl(`${prefix}:msg:a`)).toBeLessThanOrEqual(30_000)
    // The scripts are sent by SHA; a Redis that lost them (restart, SCRIPT FLUSH) gets them again.
    await redis.script('FLUSH')
    await ids.markDone(['a'])
    // Done: the pending key is gone and the id is in the slice's filter: a slice key and its first layer,
    // the smallest a layer is (65,536 ids at 11 bits: 90,112 bytes), both expiring after the window.
    expect(await redis.exists(`${prefix}:msg:a`)).toBe(0)
    const [slice, layer] = (await redis.keys(`${prefix}:ids:*`)).sort()
    expect(layer).toBe(`${slice}:1`)
    expect(await redis.hget(slice, 'total')).toBe('1')
    expect(await redis.strlen(layer)).toBe(90_112)
    for (const key of [slice, layer]) {
      const ttl = await redis.pttl(key)
      expect(ttl).toBeGreaterThan(24 * HOUR)
      expect(ttl).toBeLessThanOrEqual(30 * HOUR)
    }
    await ids.release(['b'])
    expect(await ids.claim(['a', 'b'])).toEqual(['seen', 'new'])
  })

  it('remembers an id for the whole window and forgets it after', async () => {
    const start = Date.now()
    let at = start
    const ids = new MessageIds(redis, uniqueName('ids'), 24 * HOUR, 100, () => at)
    await ids.claim(['x'])
    await ids.markDone(['x'])
    for (const later of [1, 6, 12, 23.9]) {
      at = start + later * HOUR
      expect(await ids.claim(['x'])).toEqual(['seen'])
    }
    at = start + 31 * HOUR
    expect(await ids.claim(['x'])).toEqual(['new'])
  })

  it('never forgets an accepted id, and answers few new ids as seen', async () => {
    const ids = new MessageIds(redis, uniqueName('ids'))
    const accepted = Array.from({ length: 60_000 }, () => crypto.randomUUID())
    let seenWhileFilling = 0
    for (let i = 0; i < accepted.length; i += 500) {
      const batch = accepted.slice(i, i + 500)
      const claims = await ids.claim(batch)
      seenWhileFilling += claims.filter((c) => c === 'seen').length
      // As the gateway does: only ids answered new are recorded (a false "seen" already reads as recorded).
      await ids.markDone(batch.filter((_, k) => claims[k] === 'new'))
    }
    const fresh = Array.from({ length: 60_000 }, () => crypto.randomUUID())
    let seenAgain = 0
    let freshSeen = 0
    for (let i = 0; i < accepted.length; i += 500) {
      seenAgain += (await ids.claim(accepted.slice(i, i + 500))).filter((c) => c === 'seen').length
      freshSeen += (await ids.claim(fresh.slice(i, i + 500))).filter((c) => c === 'seen').length
    }
    // No false negatives: a duplicate is always marked for verification.
    expect(seenAgain).toBe(accepted.length)
    // A Bloom filter's false positives: 60k ids fill one 65,536-id layer to 92 %, about 0.3 % of fresh ids
    // (~180) read as seen; each still reaches the processor, which checks the store (test/e2e/import.test.ts).
    expect(freshSeen).toBeGreaterThan(0)
    expect(freshSeen / fresh.length).toBeLessThan(0.006)
    expect(seenWhileFilling / accepted.length).toBeLessThan(0.003)
  })

  it('sizes each slice from the traffic before it, adding layers when a slice outgrows its first', async () => {
    const prefix = uniqueName('ids')
    const start = Math.ceil(Date.now() / (6 * HOUR)) * 6 * HOUR
    let at = start
    const ids = new MessageIds(redis, prefix, 24 * HOUR, 100, () => at)
    const send = async (n: number) => {
      for (let i = 0; i < n; i += 500) await ids.markDone(Array.from({ length: Math.min(500, n - i) }, () => crypto.randomUUID()))
    }
    const layers = async (slice: number) => {
      const meta = await redis.hgetall(`${prefix}:ids:${slice}`)
      // Ids a layer holds: its bits over its bits per id (11 in a slice's first layer, 3 more in each after).
      return Array.from({ length: Number(meta.layers) }, (_, l) => Number(meta[`blocks:${l + 1}`]) * 512 / Math.min(11 + 3 * l, 23)).map(Math.floor)
    }
    const first = start / (6 * HOUR)
    // No slice before: the first grows from the smallest layer, each new layer as large as the slice so far.
    await send(70_000)
    expect(await layers(first)).toEqual([65_536, 65_536])
    // The next slice is sized for 1.1× the one before it in one layer ...
    at = start + 6 * HOUR
    await send(70_000)
    expect(await layers(first + 1)).toEqual([77_032])
    // ... and when traffic doubles, a layer of a quarter of the slice so far follows it
    at = start + 12 * HOUR
    await send(140_000)
    // (a quarter of the slice so far is under the smallest layer here, so the second layer is the smallest)
    expect(await layers(first + 2)).toEqual([77_032, 65_536])
    // Every id of every slice is still seen a day after the first.
    at = start + 24 * HOUR - 1
    const probe = Array.from({ length: 2_000 }, () => crypto.randomUUID())
    await ids.markDone(probe)
    expect(new Set(await ids.claim(probe))).toEqual(new Set(['seen']))
  })

  it('keeps false positives bounded while a fresh filter adds layer after layer', async () => {
    const prefix = uniqueName('ids')
    const at = Math.ceil(Date.now() / (6 * HOUR)) * 6 * HOUR
    const ids = new MessageIds(redis, prefix, 24 * HOUR, 100, () => at)
    // No slice before: 600,000 ids grow the slice's filter to 5 layers. With 11 bits per id in each, fresh
    // ids read as seen ~2.5 % of the time by then (one verification each); each layer tighter than the one
    // before keeps it under 1 %.
    for (let i = 0; i < 600_000; i += 500) await ids.markDone(Array.from({ length: 500 }, () => crypto.randomUUID()))
    expect(Number(await redis.hget(`${prefix}:ids:${at / (6 * HOUR)}`, 'layers'))).toBeGreaterThanOrEqual(5)
    let seen = 0
    for (let i = 0; i < 40_000; i += 500) seen += (await ids.claim(Array.from({ length: 500 }, () => crypto.randomUUID()))).filter((c) => c === 'seen').length
    expect(seen / 40_000).toBeLessThan(0.013)
  })
})
