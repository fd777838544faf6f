import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { coalescePasses } from '../../processors/playbooks/coalesced-passes.js'
import type { ScoredPass } from '../../processors/playbooks/index.js'
import type { HealthScoreRecord } from '../../processors/scoring/account-score.js'

const record = (accountId: string, asOf: number) => ({ accountId, asOf }) as HealthScoreRecord
const pass = (asOf: number, ids: string[], trigger: 'event' | 'sweep' = 'event', keyFeatures = ['api']) => ({ records: ids.map((id) => record(id, asOf)), keyFeatures, trigger })
const seen = (passes: ScoredPass[]) => passes.map((p) => ({ accounts: p.records.map((r) => `${r.accountId}@${r.asOf}`).sort(), keyFeatures: p.keyFeatures }))

describe('the playbooks evaluate event passes at most every so often', () => {
  let clock = 0
  let evaluated: ScoredPass[] = []
  const errors: Array<{ err: unknown; accounts: number }> = []
  const coalesced = (everyMs: number, extra: { sliceSize?: number; evaluate?: (p: ScoredPass) => Promise<unknown> } = {}) =>
    coalescePasses({
      everyMs,
      sliceSize: extra.sliceSize,
      now: () => clock,
      onError: (err, accounts) => errors.push({ err, accounts }),
      evaluate: extra.evaluate ?? (async (p) => void evaluated.push(p)),
    })
  beforeEach(() => {
    vi.useFakeTimers()
    clock = 0
    evaluated = []
    errors.length = 0
  })
  afterEach(() => void vi.useRealTimers())

  it('with no interval evaluates each pass as it comes, before offer resolves', async () => {
    const c = coalesced(0)
    await c.offer(pass(1, ['a', 'b']))
    expect(seen(evaluated)).toEqual([{ accounts: ['a@1', 'b@1'], keyFeatures: ['api'] }])
    await c.offer(pass(2, ['a']))
    expect(seen(evaluated)).toHaveLength(2)
    expect(c.held).toBe(0)
  })

  it('holds passes within the interval and evaluates them merged, the latest score and key features winning', async () => {
    const c = coalesced(3000)
    clock = 10_000
    await c.offer(pass(1, ['a', 'b']))
    clock = 11_000
    await c.offer(pass(2, ['b', 'c'], 'event', ['api', 'reports']))
    clock = 12_999
    await c.offer(pass(3, ['c']))
    expect(seen(evaluated)).toEqual([{ accounts: ['a@1', 'b@1'], keyFeatures: ['api'] }])
    expect(c.held).toBe(2)
    clock = 13_000 // 3 s since the last evaluation began
    await c.offer(pass(4, ['d'], 'event', ['reports']))
    expect(seen(evaluated)).toEqual([
      { accounts: ['a@1', 'b@1'], keyFeatures: ['api'] },
      { accounts: ['b@2', 'c@3', 'd@4'], keyFeatures: ['reports'] },
    ])
    expect(c.held).toBe(0)
  })

  it('evaluates what is held when no pass comes, twice the interval after it came', async () => {
    const c = coalesced(3000)
    await c.offer(pass(1, ['a']))
    clock = 500
    await c.offer(pass(2, ['b']))
    await vi.advanceTimersByTimeAsync(5999)
    expect(seen(evaluated)).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(seen(evaluated)).toEqual([
      { accounts: ['a@1'], keyFeatures: ['api'] },
      { accounts: ['b@2'], keyFeatures: ['api'] },
    ])
    // The timer went with what it evaluated: nothing fires again.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(evaluated).toHaveLength(2)
  })

  it('a pass that takes what is held stops the timer', async () => {
    const c = coalesced(3000)
    await c.offer(pass(1, ['a']))
    clock = 1000
    await c.offer(pass(2, ['b']))
    clock = 3000
    await c.offer(pass(3, ['c']))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(seen(evaluated).map((p) => p.accounts)).toEqual([['a@1'], ['b@2', 'c@3']])
  })

  it('evaluates a sweep at once, with what is held, whole', async () => {
    const c = coalesced(3000, { sliceSize: 2 })
    await c.offer(pass(1, ['a']))
    clock = 1000
    await c.offer(pass(2, ['a', 'z']))
    clock = 1500
    await c.offer(pass(3, ['a', 'b', 'c'], 'sweep'))
    expect(seen(evaluated).map((p) => p.accounts)).toEqual([['a@1'], ['a@3', 'b@3', 'c@3', 'z@2']])
  })

  it('evaluates merged event passes in turns of at most sliceSize accounts', async () => {
    const c = coalesced(3000, { sliceSize: 2 })
    await c.offer(pass(1, ['a']))
    clock = 1000
    await c.offer(pass(2, ['b', 'c', 'd']))
    clock = 3000
    await c.offer(pass(3, ['e']))
    expect(seen(evaluated).map((p) => p.accounts)).toEqual([['a@1'], ['b@2', 'c@2'], ['d@2', 'e@3']])
  })

  it('runs evaluations one at a time, in order, even when the timer starts one', async () => {
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const c = coalesced(1000, {
      evaluate: async (p) => {
        const ids = p.records.map((r) => r.accountId).join()
        order.push(`begin ${ids}`)
        if (ids === 'a') await gate
        order.push(`end ${ids}`)
      },
    })
    const first = c.offer(pass(1, ['a']))
    clock = 100
    await c.offer(pass(2, ['b'])) // held
    await vi.advanceTimersByTimeAsync(2000) // the timer's evaluation queues behind the first
    expect(order).toEqual(['begin a'])
    release()
    await first
    await c.flush()
    expect(order).toEqual(['begin a', 'end a', 'begin b', 'end b'])
  })

  it('reports a failed evaluation and goes on with the next', async () => {
    let fail = true
    const c = coalesced(0, {
      evaluate: async (p) => {
        if (fail) throw new Error('redis away')
        evaluated.push(p)
      },
    })
    await expect(c.offer(pass(1, ['a', 'b']))).resolves.toBeUndefined()
    expect(errors).toEqual([{ err: new Error('redis away'), accounts: 2 }])
    fail = false
    await c.offer(pass(2, ['c']))
    expect(seen(evaluated).map((p) => p.accounts)).toEqual([['c@2']])
  })

  it('flush evaluates what is held; close leaves it to the next pass', async () => {
    const c = coalesced(3000)
    await c.offer(pass(1, ['a']))
    clock = 1000
    await c.offer(pass(2, ['b']))
    await c.flush()
    expect(seen(evaluated).map((p) => p.accounts)).toEqual([['a@1'], ['b@2']])
    clock = 1500
    await c.offer(pass(3, ['c']))
    await c.close()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(evaluated).toHaveLength(2)
    expect(c.held).toBe(1)
  })
})
