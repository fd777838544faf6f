import { describe, expect, it } from 'vitest'
import { parseTrackRequest } from '../../gateway/track-request.js'

const valid = { event: 'feature_used', messageId: 'm-1', accountId: 'acct_1', userId: 'u_1', timestamp: '2026-11-22T10:00:00+01:00', properties: { feature: 'x' } }

describe('parseTrackRequest', () => {
  it('accepts a Segment-style envelope and normalises the timestamp to UTC', () => {
    const r = parseTrackRequest(valid)
    expect(r).toEqual({ ok: true, event: { ...valid, timestamp: '2026-11-22T09:00:00.000Z' } })
  })

  it('treats userId and properties as optional', () => {
    const { userId: _u, properties: _p, ...rest } = valid
    const r = parseTrackRequest(rest)
    expect(r.ok && r.event.userId).toBe(undefined)
    expect(r.ok && r.event.properties).toEqual({})
  })

  it.each([
    [[], 'must be a JSON object'],
    [{ ...valid, messageId: undefined }, '"messageId" is required'],
    [{ ...valid, accountId: 42 }, '"accountId" must be a string, got number'],
    [{ ...valid, event: '' }, '"event" must not be empty'],
    [{ ...valid, timestamp: 'yesterday' }, '"timestamp" must be an ISO-8601'],
    [{ ...valid, timestamp: '2026-11-22T10:00:00' }, '"timestamp" must be an ISO-8601'],
    [{ ...valid, properties: [1] }, '"properties" must be a JSON object, got array'],
    [{ ...valid, userId: 7 }, '"userId" must be a non-empty string'],
    [{ ...valid, context: {} }, 'unknown envelope field "context"'],
  ])('rejects %j', (body, reason) => {
    const r = parseTrackRequest(body)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.reason).toContain(reason)
  })
})
