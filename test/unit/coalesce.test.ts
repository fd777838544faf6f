import { describe, expect, it } from 'vitest'
import { coalesce } from '../../processors/scoring/coalesce.js'

const byKey = (keys: string[], f: (k: string) => string) => new Map(keys.map((k) => [k, f(k)]))

describe('coalesce', () => {
  it('serves calls made together with one run, each caller getting the result for its key', async () => {
    const runs: string[][] = []
    const double = coalesce(async (keys: string[]) => (runs.push(keys), byKey(keys, (k) => k + k)), (k) => k, { maxBatch: 100, lingerMs: 10 })
    expect(await Promise.all(['a', 'b', 'a', 'c'].map(double))).toEqual(['aa', 'bb', 'aa', 'cc'])
    expect(runs).toEqual([['a', 'b', 'a', 'c']])
  })

  it('hands the run every item, so it can combine what callers of one key asked', async () => {
    const f = coalesce(async (items: { id: string; at: number }[]) => {
      const latest = new Map<string, number>()
      for (const i of items) latest.set(i.id, Math.max(latest.get(i.id) ?? 0, i.at))
      return latest
    }, (i) => i.id, { maxBatch: 100, lingerMs: 10 })
    expect(await Promise.all([f({ id: 'a', at: 1 }), f({ id: 'a', at: 5 }), f({ id: 'b', at: 2 })])).toEqual([5, 5, 2])
  })

  it('runs as soon as a batch is full, and fails every caller of a failed run', async () => {
    const runs: string[][] = []
    const f = coalesce(async (keys: string[]) => {
      runs.push(keys)
      if (keys.includes('bad')) throw new Error('boom')
      return byKey(keys, (k) => k)
    }, (k) => k, { maxBatch: 2, lingerMs: 20 })
    expect(await Promise.all([f('x'), f('y'), f('z')])).toEqual(['x', 'y', 'z'])
    await expect(Promise.all([f('ok'), f('bad')])).rejects.toThrow('boom')
    expect(runs).toEqual([['x', 'y'], ['z'], ['ok', 'bad']])
  })
})
