import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, Float, ID, InputType, Int, ObjectType, Query, Resolver, Root, Subscription, registerEnumType } from 'type-graphql'
import { readAlerts, type StoredAlert } from '../processors/playbooks/index.js'
import type { AlertFired } from '../processors/scoring/index.js'
import { PageInfo } from './accounts.js'
import type { GraphQLContext } from './context.js'
import { afterCursor, encodeTimeKeyCursor, forwardPageInfo } from './time-key-cursor.js'

export enum AlertSeverity {
  INFO = 'info',
  WARNING = 'warning',
  CRITICAL = 'critical',
}
registerEnumType(AlertSeverity, { name: 'AlertSeverity' })

@ObjectType({ description: "The score's move an alert fired on, as the scoring pass saw it." })
export class AlertScoreMove {
  @Field(() => Float, { nullable: true })
  score!: number | null

  @Field(() => Float, { nullable: true })
  previousScore!: number | null

  @Field(() => String, { nullable: true })
  tier!: string | null

  @Field(() => String, { nullable: true })
  previousTier!: string | null

  @Field(() => [String], { description: "The score's top drivers in words." })
  drivers!: string[]
}

@ObjectType({ description: 'What a rule said when its condition became true: once per episode.' })
export class Alert {
  @Field(() => ID, { description: 'rule/account/episode (rule/subject…/time for drift): the same in webhooks (data.key) and the subscription.' })
  id!: string

  @Field(() => String)
  ruleId!: string

  @Field(() => String)
  ruleName!: string

  @Field(() => ID, { nullable: true, description: 'The account, for an account rule.' })
  accountId!: string | null

  @Field(() => String, { nullable: true, description: 'The event (schema subject), for a drift rule.' })
  subject!: string | null

  @Field(() => AlertSeverity)
  severity!: AlertSeverity

  @Field(() => String)
  title!: string

  @Field(() => [String], { description: 'The facts that made it fire.' })
  why!: string[]

  @Field(() => String, { nullable: true, description: 'Who was told (the CSM, an owner id); null when nobody in particular.' })
  recipient!: string | null

  @Field(() => String, { nullable: true, description: 'csm or the owner name the recipient came from.' })
  recipientRole!: string | null

  @Field(() => [String], { description: 'Endpoints it was sent to.' })
  channels!: string[]

  @Field(() => Date)
  firedAt!: Date

  @Field(() => AlertScoreMove, { nullable: true, description: 'Only on the alertFired subscription, for alerts a scoring pass fired.' })
  scoreMove!: AlertScoreMove | null
}

@ObjectType()
export class AlertEdge {
  @Field(() => String)
  cursor!: string

  @Field(() => Alert)
  node!: Alert
}

@ObjectType({ description: 'A page of alerts, newest first (Relay cursor connection).' })
export class AlertConnection {
  @Field(() => [AlertEdge])
  edges!: AlertEdge[]

  @Field(() => PageInfo)
  pageInfo!: PageInfo
}

@InputType({ description: 'Every condition given must hold; a list matches any of its values.' })
export class AlertFilter {
  @Field(() => [ID], { nullable: true })
  accountIds?: string[] | null

  @Field(() => [String], { nullable: true })
  ruleIds?: string[] | null

  @Field(() => [AlertSeverity], { nullable: true })
  severities?: AlertSeverity[] | null

  @Field(() => [String], { nullable: true, description: 'Events (schema subjects) of drift alerts.' })
  subjects?: string[] | null

  @Field(() => Date, { nullable: true, description: 'Fired at or after.' })
  since?: Date | null
}

const MAX_PAGE = 100

function fromStored(a: StoredAlert): Alert {
  return { ...a, id: a.key, accountId: a.accountId || null, subject: a.subject || null, severity: a.severity as AlertSeverity, firedAt: new Date(a.firedAt), scoreMove: null }
}

function fromFired(a: AlertFired): Alert {
  return {
    id: a.key, ruleId: a.ruleId, ruleName: a.ruleName, accountId: a.target.type === 'account' ? a.target.accountId : null, subject: a.target.type === 'schema' ? a.target.subject : null,
    severity: a.severity as AlertSeverity, title: a.title, why: a.why, recipient: a.to, recipientRole: a.toRole, channels: a.channels, firedAt: new Date(a.firedAt), scoreMove: a.context ?? null,
  }
}

@Resolver()
export class AlertResolver {
  @Query(() => AlertConnection, { description: 'Alerts the rules fired, newest first, a page at a time (first ≤ 100, after = the endCursor of the previous page).' })
  async alerts(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AlertFilter, { nullable: true }) filter: AlertFilter | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AlertConnection> {
    if (first < 1 || first > MAX_PAGE) throw new GraphQLError(`alerts: first must be 1-${MAX_PAGE}, got ${first}`, { extensions: { code: 'BAD_USER_INPUT' } })
    const cursor = afterCursor('alerts', after)
    const f = filter ?? {}
    const page = await readAlerts(
      ctx.clickhouse,
      { accountIds: f.accountIds ?? undefined, ruleIds: f.ruleIds ?? undefined, severities: f.severities ?? undefined, subjects: f.subjects ?? undefined, since: f.since?.getTime() },
      { first, after: cursor && { firedAt: cursor.time, key: cursor.key } },
    )
    const edges = page.alerts.map((a) => ({ cursor: encodeTimeKeyCursor('alerts', a.firedAt, a.key), node: fromStored(a) }))
    return { edges, pageInfo: forwardPageInfo(edges, page.hasNextPage, cursor !== null) }
  }

  @Subscription(() => Alert, {
    description: 'Alerts as rules fire them (account and drift rules); accountId, severities and ruleIds narrow it.',
    topics: ({ context }) => (context as GraphQLContext).topics.alert,
    filter: ({ payload, args }) => {
      const a = payload as AlertFired
      return (
        (!args.accountId || (a.target.type === 'account' && a.target.accountId === args.accountId)) &&
        (!args.severities?.length || args.severities.includes(a.severity)) &&
        (!args.ruleIds?.length || args.ruleIds.includes(a.ruleId))
      )
    },
  })
  alertFired(
    @Root() alert: AlertFired,
    @Arg('accountId', () => ID, { nullable: true }) _accountId?: string,
    @Arg('severities', () => [AlertSeverity], { nullable: true }) _severities?: AlertSeverity[],
    @Arg('ruleIds', () => [String], { nullable: true }) _ruleIds?: string[],
  ): Alert {
    return fromFired(alert)
  }
}
