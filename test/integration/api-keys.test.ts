import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { ApiKeys, mayTrack, scopesOf } from '../../runtime/auth/index.js'
import { uniqueName } from '../support/fixtures.js'

describe('API keys on real Redis', () => {
  const redis = new Redis(inject('redisUrl'))
  afterAll(() => redis.disconnect())

  it('creates, authenticates, lists and revokes keys, storing only digests', async () => {
    const prefix = uniqueName('keys')
    const keys = new ApiKeys(redis, prefix, new Map([['boot', { secret: 'boot-secret-1', scopes: ['track' as const, 'backfill' as const] }]]), 0)
    const { key, secret } = await keys.create('billing', ['invoice_paid', 'payment_failed'])
    expect(key).toMatchObject({ name: 'billing', events: ['invoice_paid', 'payment_failed'] })

    const found = await keys.authenticate(`Bearer ${secret}`)
    expect(found?.name).toBe('billing')
    expect(mayTrack(found!, 'invoice_paid')).toBe(true)
    expect(mayTrack(found!, 'feature_used')).toBe(false)
    expect(await keys.authenticate('Bearer boot-secret-1')).toMatchObject({ name: 'boot', scopes: ['track', 'backfill'] })
    expect(scopesOf(found!)).toEqual(['track', 'read'])
    // Basic auth (Confluent's basic.auth.user.info) names the key: its own name and secret, nothing else.
    const basic = (userInfo: string) => `Basic ${Buffer.from(userInfo).toString('base64')}`
    expect((await keys.authenticate(basic(`billing:${secret}`)))?.name).toBe('billing')
    expect(await keys.authenticate(basic(`boot:${secret}`))).toBeUndefined()
    expect(await keys.authenticate(basic(secret))).toBeUndefined()
    // Segment's and RudderStack's libraries send the write key as the user name with an empty password.
    expect((await keys.authenticate(basic(`${secret}:`)))?.name).toBe('billing')
    expect((await keys.authenticate(basic('boot-secret-1:')))?.name).toBe('boot')
    expect(await keys.authenticate(basic('not-a-key:'))).toBeUndefined()
    expect(await keys.authenticate(basic(':'))).toBeUndefined()
    const { secret: history } = await keys.create('history', null, ['backfill'])
    expect(scopesOf((await keys.authenticate(`Bearer ${history}`))!)).toEqual(['backfill'])
    // A key stored before scopes existed tracks live events, as it always did, and reads the API (open before keys guarded it).
    const legacy = await keys.create('legacy', null)
    const id = (await redis.hget(`${prefix}:apikey-names`, 'legacy'))!
    await redis.hset(`${prefix}:apikeys`, id, JSON.stringify({ name: 'legacy', events: null, createdAt: legacy.key.createdAt }))
    expect(scopesOf((await keys.authenticate(`Bearer ${legacy.secret}`))!)).toEqual(['track', 'read'])
    await keys.revoke('history')
    await keys.revoke('legacy')
    expect(await keys.authenticate('Bearer nope')).toBeUndefined()
    expect(await keys.authenticate(secret)).toBeUndefined()

    const stored = JSON.stringify(await redis.hgetall(`${prefix}:apikeys`)) + JSON.stringify(await redis.hgetall(`${prefix}:apikey-names`))
    expect(stored).not.toContain(secret)
    await expect(keys.create('billing', null)).rejects.toThrow(/exists; revoke it first/)
    expect((await keys.list()).map((k) => k.name)).toEqual(['billing', 'boot'])

    expect(await keys.revoke('billing')).toBe(true)
    expect(await keys.authenticate(`Bearer ${secret}`)).toBeUndefined()
    expect(await keys.revoke('billing')).toBe(false)
  })
})
