import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql'
import { getDelivery, listDeliveries, ReplayRefused, type DeliveryRecord } from '../processors/playbooks/webhook-admin.js'
import type { GraphQLContext } from './context.js'

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  DEAD = 'DEAD',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'An attempt failed and retries remain.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    DEAD: { description: 'Every retry failed; `replayWebhookDelivery` sends it again.' },
  },
})

@ObjectType({ description: 'A webhook or Slack delivery as its latest attempt left it (the delivery log).' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The delivery id, also the `id` of the body a webhook receiver gets (deduplicate by it).' })
  id!: string

  @Field(() => String, { description: 'The endpoint name from the rules file.' })
  endpoint!: string

  @Field(() => String, { description: 'alert.fired or webhook.test.' })
  type!: string

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus

  @Field(() => Int, { description: 'Attempts so far, replays included.' })
  attempts!: number

  @Field(() => Int, { nullable: true, description: "The receiver's last HTTP status; null when it gave none (refused, timed out)." })
  httpStatus!: number | null

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed; null once delivered.' })
  lastError!: string | null

  @Field(() => Int, { description: 'How long the last attempt took, in milliseconds.' })
  latencyMs!: number

  @Field(() => Date)
  firstAttemptAt!: Date

  @Field(() => Date, { description: 'When the last attempt ended.' })
  updatedAt!: Date
}

function toGraphQL(r: DeliveryRecord): WebhookDelivery {
  return { ...r, status: r.status.toUpperCase() as WebhookDeliveryStatus, lastError: r.lastError || null }
}

function webhooksOf(ctx: GraphQLContext): NonNullable<GraphQLContext['webhooks']> {
  if (!ctx.webhooks) throw new GraphQLError('webhook deliveries cannot be sent from this GraphQL server (it has no connection to the webhook queue)', { extensions: { code: 'SERVICE_UNAVAILABLE' } })
  return ctx.webhooks
}

@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookDelivery], { description: 'The webhook and Slack delivery log, most recently attempted first. A delivery appears with its first attempt.' })
  async webhookDeliveries(
    @Arg('endpoint', () => String, { nullable: true, description: 'Only this endpoint (its name in the rules file).' }) endpoint: string | null,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg('type', () => String, { nullable: true, description: 'alert.fired or webhook.test.' }) type: string | null,
    @Arg('since', () => Date, { nullable: true, description: 'Only deliveries attempted at or after this time.' }) since: Date | null,
    @Arg('first', () => Int, { defaultValue: 50, description: 'How many, 1 to 500.' }) first: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDelivery[]> {
    if (first < 1 || first > 500) throw new GraphQLError(`first must be between 1 and 500, got ${first}`, { extensions: { code: 'BAD_USER_INPUT' } })
    const rows = await listDeliveries(ctx.clickhouse, {
      endpoint: endpoint ?? undefined,
      status: status ? (status.toLowerCase() as DeliveryRecord['status']) : undefined,
      type: type ?? undefined,
      since: since?.getTime(),
      limit: first,
    })
    return rows.map(toGraphQL)
  }

  @Query(() => WebhookDelivery, { nullable: true, description: 'One delivery from the log; null before its first attempt or for an unknown id.' })
  async webhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<WebhookDelivery | null> {
    const row = await getDelivery(ctx.clickhouse, id)
    return row ? toGraphQL(row) : null
  }

  @Mutation(() => ID, { description: 'Queues a webhook.test delivery to an endpoint (signed, retried and logged like an alert) and returns its delivery id.' })
  async testWebhook(@Arg('endpoint', () => String) endpoint: string, @Ctx() ctx: GraphQLContext): Promise<string> {
    const webhooks = webhooksOf(ctx)
    if (!webhooks.endpoints.includes(endpoint)) {
      const known = webhooks.endpoints.length ? `the configured endpoints are ${webhooks.endpoints.map((e) => `"${e}"`).join(', ')}` : 'the rules file configures no endpoints'
      throw new GraphQLError(`no endpoint "${endpoint}": ${known}`, { extensions: { code: 'BAD_USER_INPUT' } })
    }
    return webhooks.test(endpoint)
  }

  @Mutation(() => ID, { description: 'Sends a dead (or delivered) delivery again: same id, same body, signed anew, with a fresh retry schedule. Returns its id.' })
  async replayWebhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<string> {
    const webhooks = webhooksOf(ctx)
    try {
      await webhooks.replay(id)
    } catch (err) {
      if (err instanceof ReplayRefused) throw new GraphQLError(err.message, { extensions: { code: err.reason === 'not_found' ? 'NOT_FOUND' : 'BAD_USER_INPUT' } })
      throw err
    }
    return id
  }
}
