import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { MessageIds } from '../../gateway/message-ids.js'
import { uniqueName } from '../support/fixtures.js'

describe('messageId ledger on real Redis', () => {
  const redis = new Redis(inject('redisUrl'))
  afterAll(() => redis.disconnect())

  it('claims an id once, says in_flight until Kafka acknowledged it, then done; a failed send frees it', async () => {
    const ids = new MessageIds(redis, uniqueName('ids'))
    expect(await ids.claim(['a', 'b', 'a'])).toEqual(['new', 'new', 'in_flight'])
    expect(await ids.claim(['a'])).toEqual(['in_flight'])
    await ids.markDone(['a'])
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
