import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signatureHeader, verifySignature } from '../../processors/playbooks/webhook-signature.js'

const body = JSON.stringify({ id: 'evt_1', type: 'alert.fired', time: '2026-11-23T12:00:00.000Z', data: { accountId: 'acct_1', ruleId: 'score-below-60' } })
const secret = 'whsec_test_1'
const t = 1_795_000_000
const now = t * 1000

describe('webhook signatures (Stripe-style)', () => {
  it('signs "t.body" with HMAC-SHA256, as a receiver recomputes it with nothing but the documented algorithm', () => {
    const header = signatureHeader(body, [secret], t)
    const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
    expect(header).toBe(`t=${t},v1=${expected}`)
    expect(verifySignature(header, body, secret, now)).toEqual({ ok: true, timestamp: t })
  })

  it('takes either secret while one is rotated', () => {
    const header = signatureHeader(body, ['whsec_old', 'whsec_new'], t)
    expect(verifySignature(header, body, 'whsec_old', now).ok).toBe(true)
    expect(verifySignature(header, body, 'whsec_new', now).ok).toBe(true)
    expect(verifySignature(header, body, 'whsec_other', now)).toEqual({ ok: false, reason: 'no v1 signature matches the body with this secret' })
  })

  it('refuses a changed body, an old or future timestamp, and malformed headers, saying which', () => {
    const header = signatureHeader(body, [secret], t)
    expect(verifySignature(header, body.replace('60', '40'), secret, now)).toEqual({ ok: false, reason: 'no v1 signature matches the body with this secret' })
    expect(verifySignature(header, body, secret, now + 301_000)).toEqual({ ok: false, reason: `timestamp ${t} is more than 300 s from now` })
    expect(verifySignature(header, body, secret, now - 301_000).ok).toBe(false)
    expect(verifySignature(header, body, secret, now + 299_000).ok).toBe(true)
    // A replay with a fresh timestamp but the old signature does not verify: the time is signed.
    expect(verifySignature(header.replace(`t=${t}`, `t=${t + 60}`), body, secret, now + 60_000).ok).toBe(false)
    expect(verifySignature(undefined, body, secret, now)).toEqual({ ok: false, reason: 'no Pulse-Signature header' })
    expect(verifySignature('v1=abc', body, secret, now)).toEqual({ ok: false, reason: 'no timestamp (t=<unix seconds>) in the header' })
    expect(verifySignature(`t=${t}`, body, secret, now)).toEqual({ ok: false, reason: 'no v1 signature in the header' })
    expect(verifySignature(`t=${t},v1=zz`, body, secret, now).ok).toBe(false)
    expect(() => signatureHeader(body, [], t)).toThrow('a webhook signature needs at least one secret')
  })
})
