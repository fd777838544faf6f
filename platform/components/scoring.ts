import { createPredictQueue, markForPrediction } from '../../processors/churn/index.js'
import { coalescePasses } from '../../processors/playbooks/index.js'
import { createScoringMetrics, createSweepQueue, pendingKey, SCORING_QUEUE, startScoringWorkers } from '../../processors/scoring/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

/** The scoring workers: scores on events, the scheduled sweep, and a re-score when the scorecard changed. */
export async function startScoring(ctx: PlatformContext): Promise<ComponentStarted> {
  const sweepQueue = createSweepQueue(ctx.bullConnection, ctx.config.redisPrefix)
  ctx.onStop('sweep queue', () => sweepQueue.close())
  // Every account a pass scored gets its churn risk predicted again (by the churn component, wherever it runs).
  const predictQueue = createPredictQueue(ctx.bullConnection, ctx.config.redisPrefix)
  ctx.onStop('churn prediction queue', () => predictQueue.close())
  const playbooks = await ctx.playbooks()
  // Event passes' rules at most every PULSE_PLAYBOOKS_EVERY, merged: under load a pass runs every second or so,
  // and reading every busy account's facts for the rules after each one held up the next pass by about as
  // long as the pass's own read (docs/BENCHMARKS.md, seventeenth session).
  const evaluation = coalescePasses({
    everyMs: ctx.config.playbooksEveryMs,
    // The scores are stored: a playbooks failure (Redis away) must not fail the pass, whose retry would find
    // nothing left to score. The account keeps the state its last evaluation saw, so its next pass (an
    // event, the hourly sweep at the latest) still sees every change since, edges included.
    evaluate: (pass) => playbooks.afterScoring(pass),
    onError: (err, accounts) => ctx.logger.warn({ err, accounts }, 'playbook evaluation failed; the accounts are evaluated on their next pass'),
  })
  ctx.onStop('playbook evaluation of scored passes', () => evaluation.close())
  const workers = await startScoringWorkers({
    connection: ctx.bullConnection,
    prefix: ctx.config.redisPrefix,
    clickhouse: ctx.clickhouseFor('scoring'),
    scorecard: ctx.config.scorecard,
    sweepQueue,
    sweepEveryMs: ctx.config.sweepEveryMs,
    publish: ctx.scoreEvents.publish,
    logger: ctx.logger,
    metrics: createScoringMetrics(ctx.metrics, () => ctx.bullConnection.zcard(pendingKey(ctx.config.redisPrefix, SCORING_QUEUE))),
    onScored: async (pass) => {
      // Side by side: the churn marks are two Redis round trips, the playbooks (when due) mostly a ClickHouse
      // read, and the next pass waits for both. A failed mark fails the pass once the playbooks are done.
      const [marked] = await Promise.allSettled([
        markForPrediction(predictQueue, pass.records.map((r) => r.accountId), ctx.config.scoringDebounceMs),
        evaluation.offer(pass),
      ])
      if (marked.status === 'rejected') throw marked.reason
    },
    onSwept: async () => {
      const { escalated } = await playbooks.afterSweep()
      for (const task of escalated) ctx.scoreEvents.publishTask({ ...task, type: 'task' })
    },
  })
  ctx.onStop('scoring workers', () => workers.close())
  ctx.logger.info({ scorecard: ctx.config.scorecard.source, version: ctx.config.scorecard.version }, 'scoring with scorecard')
  return {}
}
