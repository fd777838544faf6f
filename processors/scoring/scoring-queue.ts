import { Queue, type ConnectionOptions, type Job } from 'bullmq'

export const SCORING_QUEUE = 'pulse-scoring'
export const SWEEP_QUEUE = 'pulse-scoring-sweep'
const SWEEP_SCHEDULER = 'health-sweep'

export interface ScoringJob {
  accountId: string
}

/** A pass over every account: the scheduled sweep, or a re-score after the scorecard changed. */
export interface SweepJob {
  trigger: 'sweep' | 'rescore'
  scorecardVersion?: string
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

export function createSweepQueue(connection: ConnectionOptions, prefix: string): Queue<SweepJob> {
  return new Queue<SweepJob>(SWEEP_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: 100, removeOnFail: 100 },
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

/**
 * BullMQ's job scheduler adds the next sweep as a delayed job due on the cadence's boundary; every
 * process calls this at start and the scheduler stays one (upsert by id), so cadence changes take effect.
 */
export async function scheduleSweep(queue: Queue<SweepJob>, everyMs: number): Promise<void> {
  await queue.upsertJobScheduler(SWEEP_SCHEDULER, { every: everyMs }, { name: 'sweep', data: { trigger: 'sweep' } })
}

/** A re-score of every account with a new scorecard; one job per version however many processes ask. */
export async function requestRescore(queue: Queue<SweepJob>, scorecardVersion: string): Promise<void> {
  await queue.add('rescore', { trigger: 'rescore', scorecardVersion }, { jobId: `rescore-${scorecardVersion}` })
}

/** When a job was meant to run; retries keep it, so a retried job scores as of the same time. */
export function dueTime(job: Pick<Job, 'timestamp' | 'opts'>): number {
  return job.timestamp + (job.opts.delay ?? 0)
}
