import { startChurnWorkers } from '../../processors/churn/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

/** The churn workers: scheduled and on-demand training, and re-prediction of the accounts scoring touched. */
export async function startChurn(ctx: PlatformContext): Promise<ComponentStarted> {
  const playbooks = await ctx.playbooks()
  const workers = await startChurnWorkers({
    connection: ctx.bullConnection,
    prefix: ctx.config.redisPrefix,
    clickhouse: ctx.clickhouseFor('churn'),
    card: ctx.config.scorecard.card,
    horizonDays: ctx.config.churn.horizonDays,
    trainEveryMs: ctx.config.churn.trainEveryMs,
    logger: ctx.logger,
    publish: ctx.scoreEvents.publishChurnRisk,
    onPredicted: async (records) => void (await playbooks.afterPrediction(records)),
  })
  ctx.onStop('churn workers', () => workers.close())
  return {}
}
