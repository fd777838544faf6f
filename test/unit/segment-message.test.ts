import { describe, expect, it } from 'vitest'
import { readAuthorization, writeKeyBasic } from '../../runtime/auth/index.js'
import { DEFAULT_ACCOUNT_PATHS, isSegmentMessage, jsonBytesAtMost, translateSegment, type TranslateOptions } from '../../gateway/segment/message.js'
import { days, groupTraits, identifyTraits } from '../../gateway/segment/traits.js'
import { parseTrackRequest } from '../../gateway/track-request.js'
import { mergeUserTraits } from '../../graphql/user-traits.js'

const NOW = Date.parse('2026-11-22T12:00:00Z')
const opts: TranslateOptions = { accountPaths: DEFAULT_ACCOUNT_PATHS.map((p) => p.split('.')), receivedAt: NOW }

/** What @segment/analytics-node 3.1 sends for a track call (captured from the library). */
const nodeTrack = {
  timestamp: '2026-11-22T11:59:59.000Z',
  integrations: {},
  event: 'feature_used',
  type: 'track',
  properties: { feature: 'reports.export' },
  context: { groupId: 'acct_1', library: { name: '@segment/analytics-node', version: '3.1.0' } },
  userId: 'u1',
  messageId: 'node-next-1-abc',
  _metadata: { nodeVersion: 'v20.20.2', jsRuntime: 'node' },
}

describe("Segment's message shape read as Pulse's envelope", () => {
  it('tells the two shapes apart by the fields only Segment has', () => {
    expect(isSegmentMessage(nodeTrack)).toBe(true)
    expect(isSegmentMessage({ userId: 'u', event: 'x', anonymousId: 'a' })).toBe(true)
    expect(isSegmentMessage({ event: 'feature_used', messageId: 'm', accountId: 'a', timestamp: 't', properties: {} })).toBe(false)
    expect(isSegmentMessage(null)).toBe(false)
  })

  it('maps a track call to the catalog event, the account from context.groupId, valid as Pulse\'s own envelope', () => {
    const t = translateSegment(nodeTrack, opts)
    expect(t).toEqual({ ok: true, type: 'track', body: { event: 'feature_used', messageId: 'node-next-1-abc', accountId: 'acct_1', userId: 'u1', timestamp: '2026-11-22T11:59:59.000Z', properties: { feature: 'reports.export' } } })
    expect(parseTrackRequest(t.ok && t.body, undefined, NOW).ok).toBe(true)
  })

  it('corrects the clock with sentAt: timestamp = receivedAt − (sentAt − originalTimestamp)', () => {
    // A producer whose clock is 2 hours ahead sent, 5 s after the event, a message the gateway received at NOW.
    const skewed = { ...nodeTrack, timestamp: undefined, originalTimestamp: '2026-11-22T13:59:55Z', sentAt: '2026-11-22T14:00:00Z' }
    expect(translateSegment(skewed, opts)).toMatchObject({ ok: true, body: { timestamp: '2026-11-22T11:59:55.000Z' } })
    // timestamp stands in for originalTimestamp (server libraries send it), and the batch's sentAt for the message's own.
    const batchSent = { ...nodeTrack, timestamp: '2026-11-22T13:59:50.000Z' }
    expect(translateSegment(batchSent, { ...opts, batchSentAt: Date.parse('2026-11-22T14:00:00Z') })).toMatchObject({ ok: true, body: { timestamp: '2026-11-22T11:59:50.000Z' } })
    // Without sentAt the time is taken as sent; without any, it is when the gateway received it.
    expect(translateSegment(batchSent, opts)).toMatchObject({ ok: true, body: { timestamp: '2026-11-22T13:59:50.000Z' } })
    expect(translateSegment({ ...nodeTrack, timestamp: undefined }, opts)).toMatchObject({ ok: true, body: { timestamp: '2026-11-22T12:00:00.000Z' } })
    expect(translateSegment({ ...nodeTrack, sentAt: 'yesterday' }, opts)).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'sentAt' })
  })

  it('reads the account from the configured paths when there is no groupId, else refuses the message saying where it looked', () => {
    const noGroup = { ...nodeTrack, context: { library: {} }, properties: { feature: 'x', accountId: 'acct_9' } }
    // The account property is the envelope's: left out of the properties, so it is no unknown field.
    expect(translateSegment(noGroup, opts)).toMatchObject({ ok: true, body: { accountId: 'acct_9', properties: { feature: 'x' } } })
    expect((translateSegment(noGroup, opts) as any).body.properties).toEqual({ feature: 'x' })
    const nested = { ...noGroup, properties: { feature: 'x', company: { id: 42, name: 'Acme' } } }
    const custom = { ...opts, accountPaths: [['properties', 'company', 'id']] }
    expect(translateSegment(nested, custom)).toMatchObject({ ok: true, body: { accountId: '42', properties: { feature: 'x', company: { name: 'Acme' } } } })
    const missing = translateSegment({ ...noGroup, properties: { feature: 'x' } }, opts)
    expect(missing).toMatchObject({ ok: false, error: 'unmapped_account', subject: 'feature_used', messageId: 'node-next-1-abc', path: 'context.groupId' })
    expect(!missing.ok && missing.message).toContain('context.groupId, properties.accountId, traits.accountId, context.traits.accountId (PULSE_SEGMENT_ACCOUNT_PATH)')
    // A batch's context applies to its messages.
    expect(translateSegment({ ...noGroup, properties: {} }, { ...opts, batchContext: { groupId: 'acct_b' } })).toMatchObject({ ok: true, body: { accountId: 'acct_b' } })
  })

  it('refuses an unknown type, and page, screen and alias calls, with a reason (never a silent drop)', () => {
    expect(translateSegment({ ...nodeTrack, type: 'teleport' }, opts)).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'type', subject: '(unknown)' })
    for (const type of ['page', 'screen', 'alias']) {
      const t = translateSegment({ ...nodeTrack, type, name: 'Home' }, opts)
      expect(t).toMatchObject({ ok: false, error: 'unsupported_type', subject: `segment.${type}`, type })
      expect(!t.ok && t.message).toContain(`Pulse stores no ${type} calls`)
    }
    // An endpoint's type and the message's must agree.
    expect(translateSegment({ ...nodeTrack }, { ...opts, impliedType: 'identify' })).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'type' })
    expect(translateSegment({ userId: 'u', event: 'feature_used', context: { groupId: 'a' } }, { ...opts, impliedType: 'track' })).toMatchObject({ ok: true, type: 'track' })
  })

  it('refuses a message without userId or anonymousId, an identify without userId, a track without event', () => {
    expect(translateSegment({ ...nodeTrack, userId: undefined }, opts)).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'userId' })
    expect(translateSegment({ ...nodeTrack, userId: undefined, anonymousId: 'anon' }, opts)).toMatchObject({ ok: true, body: { accountId: 'acct_1' } })
    expect(translateSegment({ type: 'identify', anonymousId: 'anon', context: { groupId: 'a' } }, opts)).toMatchObject({ ok: false, path: 'userId' })
    expect(translateSegment({ ...nodeTrack, event: '' }, opts)).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'event' })
  })

  it('measures a message only when asked, refusing one over 32 KB', () => {
    const big = { ...nodeTrack, properties: { feature: 'x'.repeat(33_000) } }
    expect(translateSegment(big, { ...opts, checkSize: true })).toMatchObject({ ok: false, error: 'message_too_large' })
    expect(translateSegment(nodeTrack, { ...opts, checkSize: true }).ok).toBe(true)
    // The cheap bound is never under the real size, so nothing over 32 KB slips through unmeasured.
    for (const v of [nodeTrack, { s: 'é'.repeat(100), n: [1, 2.5, null, true], u: '\u0001\ud83d\ude00' }, big]) {
      const bound = jsonBytesAtMost(v, 1 << 30)!
      expect(bound).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v)))
    }
    expect(jsonBytesAtMost(big, 32 * 1024)).toBeUndefined()
  })

  it('gives a message without messageId one derived from its content, the same on a retry', () => {
    const { messageId: _, ...rest } = nodeTrack
    const a = translateSegment({ ...rest, sentAt: '2026-11-22T12:00:00Z' }, opts)
    const b = translateSegment({ ...rest, sentAt: '2026-11-22T12:00:05Z' }, opts)
    expect(a.ok && a.body.messageId).toMatch(/^seg-[0-9a-f]{32}$/)
    expect(a.ok && a.body.messageId).toBe(b.ok && b.body.messageId)
  })

  it('maps group traits to account_updated, reporting the ones it has no field for', () => {
    const t = translateSegment({ type: 'group', userId: 'u1', groupId: 'acct_7', traits: { name: 'Acme', industry: 'fintech', segment: 'Mid-Market', createdAt: '2026-01-02T00:00:00Z', address: { country: 'de', city: 'Berlin' }, employees: 120, id: 'acct_7' } }, opts)
    expect(t).toMatchObject({ ok: true, type: 'group', body: { event: 'account_updated', accountId: 'acct_7', userId: 'u1', properties: { name: 'Acme', industry: 'fintech', segment: 'MID_MARKET', signupDate: 20455, country: 'DE' } } })
    expect(t.ok && t.warnings!.map((w) => `${w.path} ${w.kind} ${w.actual}`)).toEqual(['traits.address.city unknown_field string "Berlin"', 'traits.employees unknown_field integer 120'])
    expect(translateSegment({ type: 'group', userId: 'u1', traits: { name: 'Acme' } }, opts)).toMatchObject({ ok: false, error: 'invalid_envelope', path: 'groupId' })
  })

  it('maps identify traits to user_identified, keeping every other trait by name', () => {
    expect(identifyTraits({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', plan: 'pro', seats: 12, createdAt: 1_767_312_000, nothing: null })).toEqual({
      email: 'ada@example.com', name: 'Ada Lovelace', signupDate: 20455, otherTraits: { firstName: 'Ada', lastName: 'Lovelace', plan: 'pro', seats: '12' },
    })
    const t = translateSegment({ type: 'identify', userId: 'u1', traits: { email: 'a@b.c', accountId: 'acct_3' } }, opts)
    expect(t).toMatchObject({ ok: true, body: { event: 'user_identified', accountId: 'acct_3', userId: 'u1', properties: { email: 'a@b.c', otherTraits: {} } } })
    // RudderStack's libraries send identify traits as context.traits.
    const rudder = translateSegment({ type: 'identify', userId: 'u1', anonymousId: null, context: { groupId: 'acct_4', traits: { email: 'r@b.c', plan: 'pro' } } }, opts)
    expect(rudder).toMatchObject({ ok: true, body: { accountId: 'acct_4', properties: { email: 'r@b.c', otherTraits: { plan: 'pro' } } } })
    expect(groupTraits({ name: 'A', segment: 3 }).properties).toEqual({ name: 'A', segment: 3 })
    expect(days('2026-01-02')).toBe(20455)
    expect(days(1_767_312_000_000)).toBe(20455)
    expect(days('soon')).toBe('soon')
  })
})

describe("a Segment write key as Basic auth (the secret as user name, an empty password)", () => {
  it('reads as the secret alone, and name:secret still as a named key', () => {
    expect(writeKeyBasic('pk_abc')).toBe(`Basic ${Buffer.from('pk_abc:').toString('base64')}`)
    expect(readAuthorization(writeKeyBasic('pk_abc'))).toEqual({ scheme: 'WriteKey', secret: 'pk_abc' })
    expect(readAuthorization(`Basic ${Buffer.from('ops:pk_abc').toString('base64')}`)).toEqual({ scheme: 'Basic', name: 'ops', secret: 'pk_abc' })
    expect(readAuthorization(`Basic ${Buffer.from(':').toString('base64')}`)).toBeUndefined()
    expect(readAuthorization('Bearer pk_abc')).toEqual({ scheme: 'Bearer', secret: 'pk_abc' })
  })
})

describe("the account's users from user_identified (the account 360)", () => {
  it('keeps each user\'s latest traits, a null keeping the earlier value, most recently identified first', () => {
    const users = mergeUserTraits([
      { userId: 'u1', at: 2000, properties: { email: 'new@x.io', name: null, title: null, role: 'admin', signupDate: null, otherTraits: { plan: 'team' } } },
      { userId: 'u1', at: 1000, properties: { email: 'old@x.io', name: 'Ada', title: 'CTO', role: null, signupDate: 20455, otherTraits: { plan: 'pro', seats: '12' } } },
      { userId: 'u2', at: 1500, properties: { email: 'b@x.io', otherTraits: {} } },
    ])
    expect(users).toEqual([
      { userId: 'u1', email: 'new@x.io', name: 'Ada', title: 'CTO', role: 'admin', signupDate: '2026-01-02', traits: { plan: 'team', seats: '12' }, identifiedAt: new Date(2000) },
      { userId: 'u2', email: 'b@x.io', name: null, title: null, role: null, signupDate: null, traits: {}, identifiedAt: new Date(1500) },
    ])
  })
})
