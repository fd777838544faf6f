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
  const now = deps.now ?? Date.now
  await registerScorecard(deps.clickhouse, deps.scorecard)
  // Passes over every account run one at a time across all processes (BullMQ global concurrency): two at
  // once would read the same history and both write, e.g. a sweep and a re-score after a scorecard change.
  await deps.sweepQueue.setGlobalConcurrency(1)
  await scheduleSweep(deps.sweepQueue, deps.sweepEveryMs)
  const stale = await countScoredWithOther(deps.clickhouse, deps.scorecard.version)
  if (stale) {
    log?.info({ accounts: stale, version: deps.scorecard.version, source: deps.scorecard.source }, 'scorecard changed: re-scoring every account')
    await requestRescore(deps.sweepQueue, deps.scorecard.version)
  }

  // Accounts of concurrently active jobs are scored together, live (as of now, every stored event); a job
  // processed again finds its account scored as of its due time or later and adds nothing.
  const score = coalesce(
    async (jobs: { accountId: string; due: number }[]) => {
      const due = new Map<string, number>()
      for (const j of jobs) due.set(j.accountId, Math.max(j.due, due.get(j.accountId) ?? 0))
      const accountIds = [...due.keys()]
      await scoreAccounts(deps, { accountIds }, Math.max(now(), ...due.values()), 'event', { live: true, dueAt: due })
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
      const due = dueTime(job)
      // A re-score is for accounts not yet on this scorecard: one the sweep already moved over is left alone.
      const dueAt = job.data.trigger === 'rescore' ? 0 : due
      const run: ScoringRun = await scoreAccounts(deps, { all: true }, Math.max(due, now()), job.data.trigger, { live: true, dueAt })
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
