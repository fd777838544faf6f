import { QueueEvents } from 'bullmq'
import { createGraphQLServer } from '../../graphql/index.js'
import { CHURN_QUEUE, createChurnQueue, requestTraining } from '../../processors/churn/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

export async function startGraphQL(ctx: PlatformContext): Promise<ComponentStarted> {
  // trainChurnModel adds a job for the churn worker and waits for its outcome.
  const churnQueue = createChurnQueue(ctx.bullConnection, ctx.config.redisPrefix)
  const churnEvents = new QueueEvents(CHURN_QUEUE, { connection: await ctx.redis('churn-events', { maxRetriesPerRequest: null }), prefix: ctx.config.redisPrefix })
  ctx.onStop('churn queue', async () => {
    await churnEvents.close()
    await churnQueue.close()
  })
  const server = await createGraphQLServer({
    clickhouse: ctx.clickhouseFor('graphql'),
    scoreEvents: ctx.scoreEvents,
    scorecard: ctx.config.scorecard,
    logger: ctx.logger,
    queryTimeoutMs: ctx.config.graphql.queryTimeoutMs,
    ttvMilestone: ctx.config.graphql.ttvMilestone,
    registryUrl: ctx.registryUrl,
    registryAuthorization: ctx.registryTarget.authorization,
    apiKeys: ctx.apiKeys,
    trainChurn: (horizonDays) => requestTraining(churnQueue, churnEvents, { horizonDays }),
  })
  const url = await ctx.listen(server.app, ctx.config.ports.graphql)
  ctx.onStop('graphql server', () => server.close())
  return { graphql: url }
}
