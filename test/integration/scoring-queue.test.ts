import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createScoringQueue, enqueueScoring } from '../../processors/scoring/scoring-queue.js'
import { uniqueName } from '../support/fixtures.js'

describe('scoring queue on real Redis', () => {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null })
  const queue = createScoringQueue(connection, uniqueName('test'))
  afterAll(async () => {
    await queue.obliterate({ force: true })
    await queue.close()
    connection.disconnect()
  })

  it('collapses a burst of 1000 events for one account into one pending job', async () => {
    await Promise.all(Array.from({ length: 100 }, () => enqueueScoring(queue, Array(10).fill('acct_burst'), 5_000)))
    await enqueueScoring(queue, ['acct_other', 'acct_other'], 5_000)
    const jobs = await queue.getJobs(['delayed', 'waiting', 'active'])
    expect(jobs.map((j) => j.data.accountId).sort()).toEqual(['acct_burst', 'acct_other'])
  })
})
