import crypto from 'node:crypto'
import { Queue, type ConnectionOptions, type Job } from 'bullmq'
import type { Redis } from 'ioredis'

export const SCORING_QUEUE = 'pulse-scoring'
export const SWEEP_QUEUE = 'pulse-scoring-sweep'
const SWEEP_SCHEDULER = 'health-sweep'

/**
 * A scoring job names no account: the accounts waiting to be scored are members of a Redis sorted set (see
 * `markForScoring`), and whichever worker runs the job takes them.
 */
export type ScoringJob = Record<string, never>

/** A pass over every account: the scheduled sweep, or a re-score after the scorecard changed. */
export interface SweepJob {
  trigger: 'sweep' | 'rescore'
  scorecardVersion?: string
}

/** The scoring queue and the pending set beside it, on one Redis connection. */
export interface ScoringQueue {
  queue: Queue<ScoringJob>
  redis: Redis
  pendingKey: string
  close(): Promise<void>
}

export function createScoringQueue(redis: Redis, prefix: string): ScoringQueue {
  return createPendingQueue(redis, prefix, SCORING_QUEUE)
}

/** A queue of accounts waiting for work (scoring, churn prediction): a pending set and the debounced job that drains it. */
export function createPendingQueue(redis: Redis, prefix: string, name: string): ScoringQueue {
  const queue = new Queue<ScoringJob>(name, {
    connection: redis,
    prefix,
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    },
  })
  return { queue, redis, pendingKey: pendingKey(prefix, name), close: () => queue.close() }
}

/** The Redis sorted set of accounts waiting for the work of queue `name`. */
export function pendingKey(prefix: string, name: string): string {
  return `${prefix}:${name}:pending`
}

export function createSweepQueue(connection: ConnectionOptions, prefix: string): Queue<SweepJob> {
  return new Queue<SweepJob>(SWEEP_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: 100, removeOnFail: 100 },
  })
}

/**
 * Marks accounts as needing a score and makes sure a scoring job will run within `debounceMs`. Each account
 * is one member of a sorted set, its score the time it was first marked (ZADD NX keeps it), however many
 * events arrive: a burst for one account, or thousands of accounts in one processor batch, costs one
 * round trip and at most one BullMQ job per window (deduplication, throttle mode). One job per account
 * instead made BullMQ the bottleneck at a few thousand active accounts (docs/BENCHMARKS.md).
 */
export async function markForScoring(scoring: ScoringQueue, accountIds: Iterable<string>, debounceMs: number, now = Date.now()): Promise<void> {
  const ids = [...new Set(accountIds)]
  if (!ids.length) return
  await scoring.redis.zadd(scoring.pendingKey, 'NX', ...ids.flatMap((id) => [now, id]))
  const window = Math.max(1, debounceMs)
  await scoring.queue.add('score-pending', {}, { delay: window, deduplication: { id: 'pending', ttl: window } })
}

/**
 * Takes up to `max` waiting accounts with the time each was marked. Atomic (ZPOPMIN), so several workers
 * never take the same account; an account marked again while it is being scored is a new member.
 */
export async function takePending(scoring: ScoringQueue, max: number): Promise<Map<string, number>> {
  const flat = await scoring.redis.zpopmin(scoring.pendingKey, max)
  const taken = new Map<string, number>()
  for (let i = 0; i < flat.length; i += 2) taken.set(flat[i], Number(flat[i + 1]))
  return taken
}

/** Puts accounts back after a failed pass, each with its original time, unless marked again meanwhile. */
export async function returnPending(scoring: ScoringQueue, taken: Map<string, number>): Promise<void> {
  if (!taken.size) return
  await scoring.redis.zadd(scoring.pendingKey, 'LT', ...[...taken].flatMap(([id, at]) => [at, id]))
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

/** A sweep now, outside the schedule; one per `reason` however many processes ask. */
export async function requestSweep(queue: Queue<SweepJob>, reason: string): Promise<void> {
  await queue.add('sweep', { trigger: 'sweep' }, { jobId: `sweep-${crypto.createHash('sha256').update(reason).digest('hex').slice(0, 16)}` })
}

/** When a job was meant to run; retries keep it, so a retried job scores as of the same time. */
export function dueTime(job: Pick<Job, 'timestamp' | 'opts'>): number {
  return job.timestamp + (job.opts.delay ?? 0)
}
