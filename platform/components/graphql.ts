import { QueueEvents } from 'bullmq'
import { createGraphQLServer } from '../../graphql/index.js'
import { CHURN_QUEUE, createChurnQueue, requestTraining } from '../../processors/churn/index.js'
import { createWebhookQueue, replayDelivery, sendTestDelivery } from '../../processors/playbooks/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

export async function startGraphQL(ctx: PlatformContext): Promise<ComponentStarted> {
  // trainChurnModel adds a job for the churn worker and waits for its outcome.
  const churnQueue = createChurnQueue(ctx.bullConnection, ctx.config.redisPrefix)
  const churnEvents = new QueueEvents(CHURN_QUEUE, { connection: await ctx.redis('churn-events', { maxRetriesPerRequest: null }), prefix: ctx.config.redisPrefix })
  ctx.onStop('churn queue', async () => {
    await churnEvents.close()
    await churnQueue.close()
  })
  // testWebhook and replayWebhookDelivery add to the webhook queue; the playbooks component's worker delivers.
  const webhookQueue = createWebhookQueue(ctx.bullConnection, ctx.config.redisPrefix)
  ctx.onStop('webhook queue (graphql)', () => webhookQueue.close())
  const endpoints = new Map(ctx.config.webhookEndpoints.map((e) => [e.name, e]))
  const server = await createGraphQLServer({
    clickhouse: ctx.clickhouseFor('graphql'),
    scoreEvents: ctx.scoreEvents,
    scorecard: ctx.config.scorecard,
    logger: ctx.logger,
    queryTimeoutMs: ctx.config.graphql.queryTimeoutMs,
    ttvMilestone: ctx.config.graphql.ttvMilestone,
    kpiTargets: ctx.config.graphql.kpiTargets,
    registryUrl: ctx.registryUrl,
    registryAuthorization: ctx.registryTarget.authorization,
    apiKeys: ctx.apiKeys,
    trainChurn: (horizonDays) => requestTraining(churnQueue, churnEvents, { horizonDays }),
    webhooks: {
      endpoints: [...endpoints.keys()],
      test: (name) => {
        const endpoint = endpoints.get(name)
        if (!endpoint) throw new Error(`no endpoint "${name}" in the rules file`)
        return sendTestDelivery(webhookQueue, endpoint, Date.now())
      },
      replay: (id) => replayDelivery(webhookQueue, id),
    },
  })
  const url = await ctx.listen(server.app, ctx.config.ports.graphql)
  ctx.onStop('graphql server', () => server.close())
  return { graphql: url }
}
