import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createScoringQueue, markForScoring, returnPending, takePending } from '../../processors/scoring/scoring-queue.js'
import { uniqueName } from '../support/fixtures.js'

describe('scoring queue on real Redis', () => {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const scoring = createScoringQueue(connection, uniqueName('test'))
  afterAll(async () => {
    await scoring.queue.obliterate({ force: true })
    await connection.del(scoring.pendingKey)
    await scoring.close()
    connection.disconnect()
  })

  it('collapses a burst of 1000 events into one pending job, each account waiting once with its first time', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => markForScoring(scoring, Array(10).fill('acct_burst'), 5_000, 1_000 + i)))
    await markForScoring(scoring, ['acct_other', 'acct_other'], 5_000, 2_000)
    const jobs = await scoring.queue.getJobs(['delayed', 'waiting', 'active'])
    expect(jobs).toHaveLength(1)
    const pending = await connection.zrange(scoring.pendingKey, 0, -1, 'WITHSCORES')
    expect(pending).toEqual(['acct_burst', '1000', 'acct_other', '2000'])
  })

  it('hands each waiting account to one taker only, and takes back a failed pass with its times', async () => {
    await markForScoring(scoring, Array.from({ length: 500 }, (_, i) => `acct_${i}`), 5_000, 3_000)
    const [a, b] = await Promise.all([takePending(scoring, 300), takePending(scoring, 300)])
    expect(a.size + b.size).toBe(502)
    expect([...a.keys()].filter((id) => b.has(id))).toEqual([])
    expect(a.get('acct_burst') ?? b.get('acct_burst')).toBe(1000)
    await returnPending(scoring, a)
    // Marked again meanwhile: the earlier time wins.
    await markForScoring(scoring, ['acct_burst'], 5_000, 9_000)
    expect(await connection.zscore(scoring.pendingKey, 'acct_burst')).toBe(a.has('acct_burst') ? '1000' : '9000')
    expect(await connection.zcard(scoring.pendingKey)).toBe(a.has('acct_burst') ? a.size : a.size + 1)
  })
})
