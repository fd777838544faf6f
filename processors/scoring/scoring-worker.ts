import type { Queue } from 'bullmq'
import { Worker, type ConnectionOptions, type Job } from 'bullmq'
import type { Logger } from 'pino'
import { coalesce } from './coalesce.js'
import { portfolioReader } from './measure-query.js'
import { scoreAccounts, type ScoringDeps, type ScoringRun } from './score-accounts.js'
import { countScoredWithOther, registerScorecard } from './score-store.js'
import { dueTime, requestRescore, scheduleSweep, SCORING_QUEUE, SWEEP_QUEUE, type ScoringJob, type SweepJob } from './scoring-queue.js'

export interface ScoringWorkerDeps extends ScoringDeps {
  connection: ConnectionOptions
  prefix: string
  /** Queue of sweep jobs, for the schedule and re-score requests. */
  sweepQueue: Queue<SweepJob>
  /** Cadence of the sweep over every account. */
  sweepEveryMs: number
  logger?: Logger
  /** Scoring jobs run at once (their accounts are scored together). @defaultValue 500 */
  concurrency?: number
}

export interface ScoringWorkers {
  close(): Promise<void>
}

/**
 * The scoring worker: one BullMQ job per account touched by events, scored together with the accounts of
 * the jobs active at the same time (a burst of hundreds costs a few queries), and a sweep worker that
 * re-scores every account on the scheduled cadence, so silent accounts decay, and once more whenever the
 * scorecard changed.
 */
export async function startScoringWorkers(workerDeps: ScoringWorkerDeps): Promise<ScoringWorkers> {
  const deps = { ...workerDeps, portfolio: workerDeps.portfolio ?? portfolioReader(workerDeps.clickhouse) }
  const log = deps.logger?.child({ component: 'scoring' })
  await registerScorecard(deps.clickhouse, deps.scorecard)
  await scheduleSweep(deps.sweepQueue, deps.sweepEveryMs)
  const stale = await countScoredWithOther(deps.clickhouse, deps.scorecard.version)
  if (stale) {
    log?.info({ accounts: stale, version: deps.scorecard.version, source: deps.scorecard.source }, 'scorecard changed: re-scoring every account')
    await requestRescore(deps.sweepQueue, deps.scorecard.version)
  }

  // Accounts of concurrently active jobs are scored as of the latest due time among them; a job processed
  // again alone scores as of its own (earlier) due time and finds its account already scored.
  const score = coalesce(
    async (jobs: { accountId: string; due: number }[]) => {
      const asOf = Math.max(...jobs.map((j) => j.due))
      const accountIds = [...new Set(jobs.map((j) => j.accountId))]
      await scoreAccounts(deps, { accountIds }, asOf, 'event')
      return new Map(accountIds.map((id) => [id, undefined]))
    },
    (j) => j.accountId,
    { maxBatch: 500, lingerMs: 20 },
  )
  const scoring = new Worker<ScoringJob>(SCORING_QUEUE, async (job: Job<ScoringJob>) => score({ accountId: job.data.accountId, due: dueTime(job) }), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 500,
  })
  scoring.on('failed', (job, err) => log?.warn({ err, accountId: job?.data.accountId }, 'scoring job failed'))
  scoring.on('error', (err) => log?.error({ err }, 'scoring worker error'))

  const sweep = new Worker<SweepJob>(
    SWEEP_QUEUE,
    async (job: Job<SweepJob>) => {
      const run: ScoringRun = await scoreAccounts(deps, { all: true }, Math.min(dueTime(job), (deps.now ?? Date.now)()), job.data.trigger)
      const summary = { trigger: job.data.trigger, scored: run.records.length, skipped: run.skipped, published: run.published, ms: run.ms }
      log?.info(summary, `${job.data.trigger} done`)
      return summary
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  )
  sweep.on('failed', (job, err) => log?.warn({ err, trigger: job?.data.trigger }, 'sweep failed'))
  sweep.on('error', (err) => log?.error({ err }, 'sweep worker error'))

  return {
    async close() {
      await Promise.all([scoring.close(), sweep.close()])
    },
  }
}
