import { Queue, type ConnectionOptions } from 'bullmq'

export const SCORING_QUEUE = 'pulse-scoring'

export interface ScoringJob {
  accountId: string
}

export function createScoringQueue(connection: ConnectionOptions, prefix: string): Queue<ScoringJob> {
  return new Queue<ScoringJob>(SCORING_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    },
  })
}

/**
 * One pending scoring job per account, whatever the burst: BullMQ's deduplication (throttle mode) drops
 * adds for an account while its job waits out `debounceMs`. The job is delayed by the same window and the
 * dedup key expires with it, so an event stored while the job already runs gets a job of its own and is
 * never left out of the score.
 */
export async function enqueueScoring(queue: Queue<ScoringJob>, accountIds: Iterable<string>, debounceMs: number): Promise<void> {
  const window = Math.max(1, debounceMs)
  await queue.addBulk(
    [...new Set(accountIds)].map((accountId) => ({
      name: 'score-account',
      data: { accountId },
      opts: { delay: window, deduplication: { id: accountId, ttl: window } },
    })),
  )
}
