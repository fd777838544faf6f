import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { MessageIds } from '../../gateway/message-ids.js'
import { uniqueName } from '../support/fixtures.js'

describe('messageId ledger on real Redis', () => {
  const redis = new Redis(inject('redisUrl'))
  afterAll(() => redis.disconnect())

  it('claims an id once, says in_flight until Kafka acknowledged it, then done; a failed send frees it', async () => {
    const prefix = uniqueName('ids')
    const ids = new MessageIds(redis, prefix)
    expect(await ids.claim(['a', 'b', 'a'])).toEqual(['new', 'new', 'in_flight'])
    expect(await ids.claim(['a'])).toEqual(['in_flight'])
    // A pending claim expires on its own (30 s) should the gateway die before Kafka answers.
    expect(await redis.pttl(`${prefix}:msg:a`)).toBeLessThanOrEqual(30_000)
    // The scripts are sent by SHA; a Redis that lost them (restart, SCRIPT FLUSH) gets them again.
    await redis.script('FLUSH')
    await ids.markDone(['a'])
    expect(await redis.pttl(`${prefix}:msg:a`)).toBeGreaterThan(23 * 3_600_000)
    await ids.release(['b'])
    expect(await ids.claim(['a', 'b'])).toEqual(['done', 'new'])
  })

  it('forgets an id after the window', async () => {
    const ids = new MessageIds(redis, uniqueName('ids'), 200, 100)
    await ids.claim(['x'])
    await ids.markDone(['x'])
    expect(await ids.claim(['x'])).toEqual(['done'])
    await new Promise((r) => setTimeout(r, 300))
    expect(await ids.claim(['x'])).toEqual(['new'])
  })
})
