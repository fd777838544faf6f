import os from 'node:os'
import { ActionDispatcher, createWebhookQueue, createWebhookWorker, enqueueDeliveries, slackMessage, webhookBody, type DeliveryEndpoint, type PlannedAlert } from '../../processors/playbooks/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

/**
 * The playbooks' dispatch: fired rules' alerts and tasks stored, announced (`alertFired`, `taskCreated`) and
 * delivered to their channels (signed webhooks, Slack) by the BullMQ delivery worker. Rules are evaluated
 * where state changes (scoring, churn, the drift processor); this component acts on what they queued.
 */
export async function startPlaybooks(ctx: PlatformContext): Promise<ComponentStarted> {
  const { config, logger } = ctx
  const log = logger.child({ component: 'playbooks' })
  const endpoints = new Map(config.webhookEndpoints.map((e) => [e.name, e]))
  const queue = createWebhookQueue(ctx.bullConnection, config.redisPrefix)
  ctx.onStop('webhook queue', () => queue.close())
  const worker = createWebhookWorker({ connection: ctx.bullConnection, prefix: config.redisPrefix, clickhouse: ctx.clickhouseFor('webhooks'), endpoints })
  worker.on('failed', (job, err) => log.warn({ deliveryId: job?.id, endpoint: job?.data.endpoint, attempts: job?.attemptsMade, err: err.message }, 'webhook delivery attempt failed'))
  worker.on('error', (err) => log.error({ err }, 'webhook worker error'))
  ctx.onStop('webhook worker', () => worker.close())

  const render = (alert: PlannedAlert) => (endpoint: DeliveryEndpoint, id: string) => {
    if (endpoint.kind === 'webhook') return webhookBody(alert, id)
    const accountId = alert.target.type === 'account' ? alert.target.accountId : null
    // The console's account 360 (its routes live in the fragment, e.g. https://pulse.example.com/console/#/account?id=…).
    const accountUrl = accountId && config.consoleUrl ? `${config.consoleUrl}/#/account?id=${encodeURIComponent(accountId)}` : null
    return slackMessage(alert, alert.context || accountUrl ? { score: null, previousScore: null, tier: null, previousTier: null, drivers: [], ...alert.context, accountUrl } : null)
  }
  const dispatcher = new ActionDispatcher({
    // Its own connection: XREADGROUP blocks it for up to a second at a time.
    redis: await ctx.redis('playbooks dispatch', { maxRetriesPerRequest: null }),
    stream: `${config.redisPrefix}:playbooks:actions`,
    consumer: `${os.hostname()}-${process.pid}`,
    clickhouse: ctx.clickhouseFor('playbooks dispatch'),
    onAlert: async (alert) => {
      ctx.scoreEvents.publishAlert(alert)
      const channels = alert.channels.flatMap((name) => endpoints.get(name) ?? [])
      if (channels.length) await enqueueDeliveries(queue, alert, channels, render(alert))
    },
    onTask: async (task) => void ctx.scoreEvents.publishTask(task),
  })
  await dispatcher.init()

  let running = true
  const loop = (async () => {
    while (running) {
      try {
        await dispatcher.runOnce(1000)
      } catch (err) {
        // Redis or ClickHouse away: the entries stay pending in the group and are claimed again.
        log.warn({ err }, 'dispatching playbook actions failed; retrying')
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  })()
  ctx.onStop('playbook dispatcher', async () => {
    running = false
    await loop
  })
  log.info({ rules: config.rules.rules.rules.length, driftRules: config.rules.rules.driftRules.length, endpoints: [...endpoints.keys()], source: config.rules.source }, 'playbooks dispatching')
  return {}
}
