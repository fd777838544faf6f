/**
 * The rest of the account 360: usage series for charts, feature use, recent CSM activity, the account's KPIs
 * and a paginated timeline of its raw events. Each field reads one account (its rows lead every table's
 * primary key), so they belong on `account(id)`, not on pages of `accounts`, where the cost limit counts them.
 */
import { GraphQLError } from 'graphql'
import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql'
import { queryRows } from '../processors/clickhouse-rows.js'
import { chTime } from '../processors/clickhouse-time.js'
import { groupKpis, readKpiInputs } from '../processors/kpis/index.js'
import { Account } from './account.js'
import { chDate, type GraphQLContext } from './context.js'
import { KpiGroup } from './kpis.js'
import { PageInfo } from './accounts.js'

@ObjectType({ description: 'One day of an account’s use (UTC).' })
export class UsageDay {
  @Field(() => String, { description: 'YYYY-MM-DD.' })
  day!: string

  @Field(() => Int, { description: 'Distinct users who logged in or used a feature.' })
  activeUsers!: number

  @Field(() => Int, { description: 'Logins (distinct messageIds): exact up to 127, an estimate within ~1.6 % above (a sketch keeps a busy day bounded).' })
  logins!: number

  @Field(() => Int, { description: 'Distinct features used.' })
  features!: number
}

@ObjectType({ description: 'How much one feature was used in a period.' })
export class FeatureUse {
  @Field(() => String)
  feature!: string

  @Field(() => Int)
  events!: number

  @Field(() => Int)
  users!: number
}

@ObjectType({ description: 'An interaction a CSM logged (csm_activity_logged).' })
export class CsmActivity {
  @Field(() => Date)
  at!: Date

  @Field(() => String, { description: 'QBR, CALL, MEETING, EMAIL or OTHER.' })
  activity!: string

  @Field(() => String)
  csmId!: string

  @Field(() => Int, { nullable: true })
  durationMinutes!: number | null

  @Field(() => String, { nullable: true })
  notes!: string | null
}

@ObjectType({ description: 'One stored event, as the producer sent it (properties decoded).' })
export class TimelineEvent {
  @Field(() => String)
  messageId!: string

  @Field(() => String)
  event!: string

  @Field(() => Date)
  timestamp!: Date

  @Field(() => String, { nullable: true })
  userId!: string | null

  @Field(() => GraphQLJSON)
  properties!: unknown

  @Field(() => String, { description: 'Where it came from, e.g. /pulse/gateway/keys/<key name>.' })
  source!: string

  @Field(() => Int, { description: 'The registry id of the schema it was validated against.' })
  schemaId!: number
}

@ObjectType()
export class TimelineEdge {
  @Field(() => String)
  cursor!: string

  @Field(() => TimelineEvent)
  node!: TimelineEvent
}

@ObjectType({ description: 'An account’s events, newest first (Relay cursor connection).' })
export class TimelineConnection {
  @Field(() => [TimelineEdge])
  edges!: TimelineEdge[]

  @Field(() => PageInfo)
  pageInfo!: PageInfo
}

const DAY = 86_400_000
// The timeline's first read: two months before the page's start. One month left a tenth of the active accounts
// (3,231 of 35,024 in the 50,000-account bench portfolio) with less than a page, each then read twice, its
// whole history the second time (+13 ms, the 360's p99); two months leave 2 of them, for +0.7 ms at p50.
const RECENT_MS = 62 * DAY
const bad = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })

function period(field: string, from: Date | null | undefined, to: Date | null | undefined, days = 30): { from: Date; to: Date } {
  const end = to ?? new Date()
  const start = from ?? new Date(end.getTime() - days * DAY)
  if (!(start < end)) throw bad(`${field}: from (${start.toISOString()}) must be before to (${end.toISOString()})`)
  if (end.getTime() - start.getTime() > 731 * DAY) throw bad(`${field}: a period may span at most two years`)
  return { from: start, to: end }
}

/** Timeline cursors: the event's time (epoch ms) and messageId, newest first. */
export function encodeTimelineCursor(timestampMs: number, messageId: string): string {
  return Buffer.from(JSON.stringify([timestampMs, messageId])).toString('base64url')
}

export function decodeTimelineCursor(text: string): { timestampMs: number; messageId: string } {
  try {
    const [timestampMs, messageId] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[]
    if (typeof timestampMs === 'number' && typeof messageId === 'string') return { timestampMs, messageId }
  } catch {
    // fall through to the error below
  }
  throw bad(`timeline: after "${text}" is not a cursor this API returned`)
}

@Resolver(() => Account)
export class Account360Resolver {
  @FieldResolver(() => [UsageDay], { description: 'Daily active users, logins and features between from and to (default: the last 30 days), oldest first.' })
  async usage(
    @Root() account: Account,
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date, { nullable: true }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true }) to?: Date | null,
  ): Promise<UsageDay[]> {
    const p = period('usage', from, to)
    const rows = await ctx.loaders.rows(
      `SELECT toString(day) AS date, uniqExactArray(active_users) AS activeUsers, uniqCombined64Merge(12)(logins) AS logins, length(groupUniqArrayArray(features)) AS features
       FROM account_daily WHERE account_id = {id:String} AND day >= toDate({from:DateTime64(3, 'UTC')}) AND day <= toDate({to:DateTime64(3, 'UTC')})
       GROUP BY day ORDER BY day`,
      { id: account.id, from: chTime(p.from), to: chTime(p.to) },
    )
    return rows.map((r) => ({ day: String(r.date), activeUsers: Number(r.activeUsers), logins: Number(r.logins), features: Number(r.features) }))
  }

  @FieldResolver(() => [FeatureUse], { description: 'Events and users by feature between from and to (default: the last 30 days), most used first.' })
  async featureUsage(
    @Root() account: Account,
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date, { nullable: true }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true }) to?: Date | null,
  ): Promise<FeatureUse[]> {
    const p = period('featureUsage', from, to)
    const rows = await ctx.loaders.rows(
      `SELECT JSONExtractString(properties, 'feature') AS feature, uniqExact(message_id) AS events, uniqExact(user_id) AS users
       FROM events WHERE account_id = {id:String} AND event = 'feature_used' AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
       GROUP BY feature ORDER BY events DESC, feature LIMIT 200`,
      { id: account.id, from: chTime(p.from), to: chTime(p.to) },
    )
    return rows.map((r) => ({ feature: String(r.feature), events: Number(r.events), users: Number(r.users) }))
  }

  @FieldResolver(() => [CsmActivity], { description: 'The latest CSM activities, newest first.' })
  async csmActivity(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Arg('first', () => Int, { defaultValue: 10 }) first: number): Promise<CsmActivity[]> {
    if (first < 1 || first > 100) throw bad(`csmActivity: first must be 1-100, got ${first}`)
    const rows = await ctx.loaders.rows(
      // The properties whole, parsed here: a few rows, and four JSONExtracts cost chDB more than the read.
      `SELECT timestamp AS at, properties FROM account_facts WHERE account_id = {id:String} AND event = 'csm_activity_logged'
       ORDER BY timestamp DESC LIMIT 1 BY message_id LIMIT {first:UInt32}`,
      { id: account.id, first },
    )
    return rows.map((r) => {
      const p = JSON.parse(r.properties) as Record<string, unknown>
      const text = (v: unknown) => (typeof v === 'string' ? v : null)
      return { at: chDate(r.at), activity: text(p.activity) ?? '', csmId: text(p.csmId) ?? '', durationMinutes: Number.isInteger(p.durationMinutes) ? (p.durationMinutes as number) : null, notes: text(p.notes) }
    })
  }

  @FieldResolver(() => KpiGroup, { description: 'The account’s KPIs between from and to (default: the last 30 days).' })
  async kpis(
    @Root() account: Account,
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date, { nullable: true }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true }) to?: Date | null,
  ): Promise<KpiGroup> {
    const p = period('kpis', from, to)
    const inputs = await readKpiInputs(ctx.clickhouse, { from: p.from.getTime(), to: p.to.getTime() }, { milestone: ctx.ttvMilestone, accountIds: [account.id] })
    return { ...groupKpis(inputs, 'PORTFOLIO', new Map())[0], key: account.id }
  }

  @FieldResolver(() => TimelineConnection, { description: 'The account’s raw events, newest first: first ≤ 100, after = endCursor of the previous page; events narrows to some kinds.' })
  async timeline(
    @Root() account: Account,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('events', () => [String], { nullable: true }) events?: string[] | null,
  ): Promise<TimelineConnection> {
    if (first < 1 || first > 100) throw bad(`timeline: first must be 1-100, got ${first}`)
    const cursor = after ? decodeTimelineCursor(after) : null
    // FINAL: a duplicate stored before its merge is shown once.
    const read = (since: number | null) =>
      ctx.loaders.rows(
        `SELECT message_id, event, toUnixTimestamp64Milli(timestamp) AS ts, user_id, properties, source, schema_id
         FROM events FINAL
         WHERE account_id = {id:String} ${events ? 'AND event IN {events:Array(String)}' : ''}
           ${cursor ? "AND (timestamp, message_id) < (fromUnixTimestamp64Milli({afterTs:Int64}, 'UTC'), {afterId:String})" : ''}
           ${since === null ? '' : "AND timestamp >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')"}
         ORDER BY timestamp DESC, message_id DESC LIMIT {limit:UInt32}`,
        { id: account.id, events: events ?? [], afterTs: cursor?.timestampMs ?? 0, afterId: cursor?.messageId ?? '', limit: first + 1, since: since ?? 0 },
      )
    // The two months before the page's start first: a few monthly partitions instead of the account's whole history (an
    // active account fills a page from them). When they hold less than a page, the newest rows may be older: read all.
    let rows = await read((cursor?.timestampMs ?? Date.now()) - RECENT_MS)
    if (rows.length <= first) rows = await read(null)
    const edges = rows.slice(0, first).map((r) => ({
      cursor: encodeTimelineCursor(Number(r.ts), r.message_id),
      node: { messageId: r.message_id, event: r.event, timestamp: new Date(Number(r.ts)), userId: r.user_id, properties: JSON.parse(r.properties), source: r.source, schemaId: Number(r.schema_id) },
    }))
    return { edges, pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: cursor !== null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null } }
  }
}
