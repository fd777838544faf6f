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
    // Done: the pending key is gone and only a fingerprint remains, in a key that expires after the window.
    expect(await redis.exists(`${prefix}:msg:a`)).toBe(0)
    const [bucket] = await redis.keys(`${prefix}:ids:*`)
    expect(await redis.strlen(bucket)).toBe(4)
    const ttl = await redis.pttl(bucket)
    expect(ttl).toBeGreaterThan(24 * HOUR)
    expect(ttl).toBeLessThanOrEqual(30 * HOUR)
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

  it('is exact over many ids: every accepted id is seen, and fresh ids come back new', async () => {
    const ids = new MessageIds(redis, uniqueName('ids'))
    const accepted = Array.from({ length: 60_000 }, () => crypto.randomUUID())
    for (let i = 0; i < accepted.length; i += 500) {
      const batch = accepted.slice(i, i + 500)
      expect(new Set(await ids.claim(batch))).toEqual(new Set(['new']))
      await ids.markDone(batch)
    }
    const fresh = Array.from({ length: 60_000 }, () => crypto.randomUUID())
    let seenAgain = 0
    let freshSeen = 0
    for (let i = 0; i < accepted.length; i += 500) {
      seenAgain += (await ids.claim(accepted.slice(i, i + 500))).filter((c) => c === 'seen').length
      freshSeen += (await ids.claim(fresh.slice(i, i + 500))).filter((c) => c === 'seen').length
    }
    expect(seenAgain).toBe(accepted.length)
    // 48-bit fingerprints: a false "seen" among 60k fresh ids against 60k stored is about 1 in 80,000;
    // one would still reach the processor, which checks the store (test/e2e/import.test.ts).
    expect(freshSeen).toBeLessThanOrEqual(1)
  })
})
