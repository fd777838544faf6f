import { describe, expect, it } from 'vitest'
import { coalesce } from '../../processors/scoring-worker.js'

describe('coalesce', () => {
  it('serves calls made together with one run, each caller getting its own result', async () => {
    const runs: string[][] = []
    const double = coalesce(async (keys: string[]) => (runs.push(keys), keys.map((k) => k + k)), { maxBatch: 100, lingerMs: 10 })
    expect(await Promise.all(['a', 'b', 'a', 'c'].map(double))).toEqual(['aa', 'bb', 'aa', 'cc'])
    expect(runs).toEqual([['a', 'b', 'c']])
  })

  it('runs as soon as a batch is full, and fails every caller of a failed run', async () => {
    const runs: string[][] = []
    const f = coalesce(async (keys: string[]) => {
      runs.push(keys)
      if (keys.includes('bad')) throw new Error('boom')
      return keys
    }, { maxBatch: 2, lingerMs: 20 })
    expect(await Promise.all([f('x'), f('y'), f('z')])).toEqual(['x', 'y', 'z'])
    await expect(Promise.all([f('ok'), f('bad')])).rejects.toThrow('boom')
    expect(runs).toEqual([['x', 'y'], ['z'], ['ok', 'bad']])
  })
})
