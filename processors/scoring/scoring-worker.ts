import type { Queue } from 'bullmq'
import { Worker, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { HealthScoreRecord, ScoreTrigger } from './account-score.js'
import { portfolioReader } from './measure-query.js'
import { scoreAccounts, type ScoringDeps, type ScoringRun } from './score-accounts.js'
import { countScoredWithOther, registerScorecard } from './score-store.js'
import type { ScoringMetrics } from './scoring-metrics.js'
import { createSparseMemo } from './sparse-memo.js'
import { createScoringQueue, dueTime, requestRescore, requestSweep, returnPending, scheduleSweep, SCORING_QUEUE, SWEEP_QUEUE, takePending, type ScoringJob, type SweepJob } from './scoring-queue.js'

export interface ScoringWorkerDeps extends ScoringDeps {
  connection: Redis
  prefix: string
  /** Queue of sweep jobs, for the schedule and re-score requests. */
  sweepQueue: Queue<SweepJob>
  /** Cadence of the sweep over every account. */
  sweepEveryMs: number
  logger?: Logger
  /** Most accounts scored in one pass of a scoring job. @defaultValue 2000 */
  passSize?: number
  /**
   * Told of every pass's scores (event passes and sweeps), e.g. to re-predict churn risk and evaluate the
   * playbooks. The scores are stored by then: a failure here fails the job but is not retried by re-scoring.
   */
  onScored?: (pass: { records: HealthScoreRecord[]; keyFeatures: string[]; trigger: ScoreTrigger }) => Promise<void>
  /** Told when a sweep is done, with its as-of time: time-based work (task escalations, drift floods subsiding). */
  onSwept?: (asOf: number) => Promise<void>
  metrics?: ScoringMetrics
}

export interface ScoringWorkers {
  close(): Promise<void>
}

/**
 * The scoring worker: the accounts touched by events wait in a pending set and a debounced BullMQ job scores
 * them in passes of thousands (a few queries each), and a sweep worker that
 * re-scores every account on the scheduled cadence, so silent accounts decay, and once more whenever the
 * scorecard changed.
 */
export async function startScoringWorkers(workerDeps: ScoringWorkerDeps): Promise<ScoringWorkers> {
  const memoCounts = workerDeps.metrics?.factAggregates
  const sparseMemo =
    workerDeps.sparseMemo ??
    createSparseMemo(workerDeps.clickhouse, {
      onPlan: (held, read) => {
        memoCounts?.inc({ source: 'memo' }, held)
        memoCounts?.inc({ source: 'read' }, read)
      },
    })
  const deps = { ...workerDeps, portfolio: workerDeps.portfolio ?? portfolioReader(workerDeps.clickhouse), sparseMemo }
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

  // A scoring job scores every account waiting in the pending set, in passes of up to `passSize`, as of now
  // and from every stored event; an account already scored since it was marked (by a sweep) is skipped.
  const scoringQueue = createScoringQueue(deps.connection, deps.prefix)
  const passSize = deps.passSize ?? 2000
  // Whether an account's measure has no data or is 0 depends on which kinds of event the portfolio sends
  // (no ticket from anyone: support unknown; tickets from others: none for this account). When a kind is
  // sent for the first time, every account is re-scored by a sweep, not only those with new events. The
  // kinds seen are kept in Redis, so every process agrees on what is new.
  const sourcesKey = `${deps.prefix}:${SCORING_QUEUE}:sources`
  const noticeSources = async (sources: Set<string>) => {
    if (!sources.size) return
    const added = await deps.connection.sadd(sourcesKey, ...sources)
    if (added > 0) {
      log?.info({ sources: [...sources] }, 'the portfolio sends new kinds of event: re-scoring every account')
      await requestSweep(deps.sweepQueue, `sources-${[...sources].sort().join(',')}`)
    }
  }

  const scoring = new Worker<ScoringJob>(
    SCORING_QUEUE,
    async () => {
      let scored = 0
      for (;;) {
        const due = await takePending(scoringQueue, passSize)
        if (!due.size) break
        try {
          const began = Date.now()
          const run = await scoreAccounts(deps, { accountIds: [...due.keys()] }, Math.max(now(), ...due.values()), 'event', { live: true, dueAt: due })
          observePass(deps.metrics, 'event', run, began, due)
          scored += run.records.length
          await noticeSources(run.sources)
          const after = Date.now()
          await deps.onScored?.({ records: run.records, keyFeatures: run.keyFeatures, trigger: 'event' })
          deps.metrics?.afterPass.observe({ trigger: 'event' }, (Date.now() - after) / 1000)
        } catch (err) {
          await returnPending(scoringQueue, due)
          throw err
        }
        if (due.size < passSize) break
      }
      return { scored }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  )
  scoring.on('failed', (_job, err) => log?.warn({ err }, 'scoring pass failed; its accounts wait for the retry'))
  scoring.on('error', (err) => log?.error({ err }, 'scoring worker error'))

  const sweep = new Worker<SweepJob>(
    SWEEP_QUEUE,
    async (job: Job<SweepJob>) => {
      const due = dueTime(job)
      // A re-score is for accounts not yet on this scorecard: one the sweep already moved over is left alone.
      const dueAt = job.data.trigger === 'rescore' ? 0 : due
      const asOf = Math.max(due, now())
      const began = Date.now()
      const run: ScoringRun = await scoreAccounts(deps, { all: true }, asOf, job.data.trigger, { live: true, dueAt })
      observePass(deps.metrics, job.data.trigger, run, began)
      await deps.onScored?.({ records: run.records, keyFeatures: run.keyFeatures, trigger: job.data.trigger })
      await deps.onSwept?.(asOf)
      deps.metrics?.lastSweep.set({ trigger: job.data.trigger }, Date.now() / 1000)
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
      await scoringQueue.close()
    },
  }
}

/** A pass's cost and output; for accounts taken from the pending set, how long each waited since marked. */
function observePass(metrics: ScoringMetrics | undefined, trigger: ScoreTrigger, run: ScoringRun, began: number, markedAt?: Map<string, number>): void {
  if (!metrics) return
  const ended = Date.now()
  metrics.passDuration.observe({ trigger }, (ended - began) / 1000)
  for (const phase of ['read', 'compute', 'insert'] as const) metrics.passPhase.observe({ trigger, phase }, run.ms[phase] / 1000)
  metrics.accountsScored.inc({ trigger }, run.records.length)
  metrics.published.inc({ trigger }, run.published)
  if (!markedAt) return
  for (const r of run.records) {
    const at = markedAt.get(r.accountId)
    if (at !== undefined) metrics.scoreDelay.observe(Math.max(0, ended - at) / 1000)
  }
}
