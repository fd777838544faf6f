import { GraphQLError } from 'graphql'
import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, Field, FieldResolver, Float, ID, Int, InterfaceType, ObjectType, Resolver, Root, Subscription, registerEnumType } from 'type-graphql'
import { queryRows } from '../processors/clickhouse-rows.js'
import { explainScore, type HealthScoreChanged, type MeasureValues, type Segment } from '../processors/scoring/index.js'
import { Account } from './account.js'
import { chDate, type GraphQLContext } from './context.js'
import { daysInCurrentTier } from '../processors/scoring/days-in-tier.js'

export enum ScoreStatus {
  OK = 'OK',
  INSUFFICIENT_DATA = 'INSUFFICIENT_DATA',
}
registerEnumType(ScoreStatus, { name: 'ScoreStatus', description: 'OK, or INSUFFICIENT_DATA when too little of the scorecard is backed by data (the missing components are named).' })

export enum TrendDirection {
  IMPROVING = 'IMPROVING',
  STABLE = 'STABLE',
  DECLINING = 'DECLINING',
}
registerEnumType(TrendDirection, { name: 'TrendDirection' })

export enum HistoryResolution {
  ALL = 'ALL',
  DAY = 'DAY',
}
registerEnumType(HistoryResolution, { name: 'HistoryResolution', description: 'ALL: every computed score (kept 90 days); DAY: the last score of each day (kept two years).' })

@ObjectType({ description: 'One scorecard component of a score: its measure, the points it earned and what it weighs.' })
export class ScoreComponent {
  @Field(() => String, { description: 'Path in the scorecard: usage, or product.adoption inside a group.' })
  name!: string

  @Field(() => String)
  measure!: string

  @Field(() => GraphQLJSON, { nullable: true, description: "The measure's value (a number, or a category such as POSITIVE); null: no data, so the component was left out." })
  value!: number | string | null

  @Field(() => String, { nullable: true, description: 'The band or category the value fell in.' })
  label!: string | null

  @Field(() => Float, { nullable: true, description: 'Points earned on the 0-100 scale; the components add up to the raw score.' })
  points!: number | null

  @Field(() => Float, { description: 'The most this component could give after re-normalization (0 without data).' })
  maxPoints!: number

  @Field(() => Float, { description: 'Configured share of the score, 0-1 (before re-normalization).' })
  weight!: number
}

@ObjectType({ description: 'A component pulling the score down.' })
export class ScoreDriver {
  @Field(() => String)
  component!: string

  @Field(() => String)
  measure!: string

  @Field(() => String, { description: "The measure's value in words." })
  value!: string

  @Field(() => Float)
  points!: number

  @Field(() => Float)
  maxPoints!: number

  @Field(() => Float, { description: 'Points left on the table.' })
  lost!: number

  @Field(() => String)
  text!: string
}

@ObjectType()
export class ScoreTrend {
  @Field(() => Float, { nullable: true, description: 'Points against the score of 7 days before; null without one.' })
  change7d!: number | null

  @Field(() => Float, { nullable: true })
  change30d!: number | null

  @Field(() => TrendDirection)
  direction!: TrendDirection
}

@ObjectType({ description: 'A single change that would lift the account into the next tier.' })
export class TierAction {
  @Field(() => String)
  component!: string

  @Field(() => String)
  measure!: string

  @Field(() => String)
  from!: string

  @Field(() => String)
  to!: string

  @Field(() => String, { description: 'e.g. "3 of 10 seats active (30 %); 6 more active users → Stable".' })
  text!: string
}

@ObjectType()
export class NextTier {
  @Field(() => String)
  tier!: string

  @Field(() => Float, { description: 'Points the raw score needs to reach it.' })
  pointsNeeded!: number

  @Field(() => [TierAction], { description: 'Each alone would do it, biggest levers first; empty when no single component can.' })
  actions!: TierAction[]
}

/** What a stored score and a pushed score change both say. */
@InterfaceType({ description: 'A health score as computed at one time: what a stored score and a pushed change have in common.' })
export abstract class ScoreSnapshot {
  @Field(() => Int, { nullable: true, description: '0 to 100 (smoothed); null when INSUFFICIENT_DATA.' })
  score!: number | null

  @Field(() => String, { nullable: true, description: "The scorecard's tier name (e.g. Healthy, Stable, At-risk, Critical); null when INSUFFICIENT_DATA." })
  tier!: string | null

  @Field(() => ScoreStatus)
  status!: ScoreStatus

  @Field(() => Float, { description: 'Share of the scorecard weight backed by data, 0-1.' })
  coverage!: number

  @Field(() => [String], { description: 'Components without data.' })
  missing!: string[]

  @Field(() => String)
  scorecardVersion!: string

  @Field(() => Date, { description: 'Events up to this time were read.' })
  asOf!: Date

  @Field(() => Date)
  computedAt!: Date

  @Field(() => [ScoreComponent])
  components!: ScoreComponent[]

  @Field(() => [ScoreDriver], { description: 'The components pulling the score down most.' })
  drivers!: ScoreDriver[]

  @Field(() => ScoreTrend)
  trend!: ScoreTrend
}

@ObjectType({ description: "An account's current customer health, with why.", implements: ScoreSnapshot })
export class HealthScore extends ScoreSnapshot {
  @Field(() => Float, { nullable: true, description: 'The score before smoothing.' })
  rawScore!: number | null

  @Field(() => String, { nullable: true, description: 'The segment whose weights applied.' })
  segment!: string | null

  @Field(() => NextTier, { nullable: true, description: 'null at the top tier or without a score.' })
  nextTier!: NextTier | null
}

@ObjectType()
export class HealthScorePoint {
  @Field(() => Date)
  asOf!: Date

  @Field(() => Int, { nullable: true })
  score!: number | null

  @Field(() => String, { nullable: true })
  tier!: string | null

  @Field(() => ScoreStatus)
  status!: ScoreStatus

  @Field(() => Float)
  coverage!: number

  @Field(() => String)
  scorecardVersion!: string
}

@ObjectType({ description: 'A new score for an account, pushed when its score or tier changes.', implements: ScoreSnapshot })
export class HealthScoreChange extends ScoreSnapshot {
  @Field(() => ID)
  accountId!: string

  @Field(() => Int, { nullable: true })
  previousScore!: number | null

  @Field(() => String, { nullable: true })
  previousTier!: string | null

  @Field(() => Boolean)
  tierChanged!: boolean
}

const HISTORY_SQL: Record<HistoryResolution, string> = {
  ALL: `SELECT toUnixTimestamp64Milli(as_of) AS asOf, score, tier, status, coverage, scorecard_version AS version FROM health_scores FINAL
    WHERE account_id = {accountId:String} AND as_of >= {from:DateTime64(3, 'UTC')} AND as_of <= {to:DateTime64(3, 'UTC')} ORDER BY as_of LIMIT 5000`,
  DAY: `SELECT toUnixTimestamp64Milli(as_of) AS asOf, score, tier, status, coverage, scorecard_version AS version FROM health_scores_daily FINAL
    WHERE account_id = {accountId:String} AND as_of >= {from:DateTime64(3, 'UTC')} AND as_of <= {to:DateTime64(3, 'UTC')} ORDER BY as_of LIMIT 5000`,
}

@Resolver(() => Account)
export class HealthScoreResolver {
  @FieldResolver(() => HealthScore, { nullable: true, description: 'The latest score, or null before the first one.' })
  async healthScore(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<HealthScore | null> {
    const r = await ctx.loaders.latestScore.load(account.id)
    if (!r) return null
    const card = r.version === ctx.scorecard.version ? ctx.scorecard.card : await ctx.loaders.scorecard.load(r.version)
    const score = r.score === null ? null : Number(r.score)
    const explained = card ? explainScore(card, JSON.parse(r.measures) as MeasureValues, (r.segment || null) as Segment | null, score) : { components: [], drivers: [], nextTier: null }
    return {
      score,
      tier: r.tier || null,
      status: r.status,
      coverage: Number(r.coverage),
      missing: r.missing,
      rawScore: r.rawScore,
      scorecardVersion: r.version,
      segment: r.segment || null,
      asOf: new Date(Number(r.asOf)),
      computedAt: new Date(Number(r.computedAt)),
      ...explained,
      trend: { change7d: r.change7d, change30d: r.change30d, direction: r.direction },
    }
  }

  @FieldResolver(() => Int, { nullable: true, description: "Days the account's daily score has been in its current tier (the day of the latest score counts as one); null before its first score." })
  async daysInTier(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<number | null> {
    return daysInCurrentTier(await ctx.loaders.dailyTiers.load(account.id))
  }

  @FieldResolver(() => [Int], {
    nullable: 'items',
    description: 'The score at the end of each of the last `days` days that has one (default 30, at most 400), oldest first: a sparkline. Read for a whole page of accounts at once.',
  })
  async dailyScores(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Arg('days', () => Int, { defaultValue: 30 }) days: number): Promise<(number | null)[]> {
    if (days < 1 || days > 400) throw new GraphQLError(`dailyScores: days must be 1-400, got ${days}`, { extensions: { code: 'BAD_USER_INPUT' } })
    const since = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)
    return (await ctx.loaders.dailyTiers.load(account.id)).filter((d) => d.day > since).map((d) => d.score)
  }

  @FieldResolver(() => [HealthScorePoint], { description: 'Scores between from and to (default: the last 30 days), oldest first.' })
  async healthHistory(
    @Root() account: Account,
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date, { nullable: true }) from?: Date,
    @Arg('to', () => Date, { nullable: true }) to?: Date,
    @Arg('resolution', () => HistoryResolution, { defaultValue: HistoryResolution.DAY }) resolution: HistoryResolution = HistoryResolution.DAY,
  ): Promise<HealthScorePoint[]> {
    const end = to ?? new Date()
    const start = from ?? new Date(end.getTime() - 30 * 86_400_000)
    if (start > end) throw new GraphQLError(`healthHistory: from (${start.toISOString()}) is after to (${end.toISOString()})`, { extensions: { code: 'BAD_USER_INPUT' } })
    const ch = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '')
    const rows = await queryRows<Record<string, any>>(ctx.clickhouse, HISTORY_SQL[resolution], { accountId: account.id, from: ch(start), to: ch(end) })
    return rows.map((r) => ({ asOf: new Date(Number(r.asOf)), score: r.score, tier: r.tier || null, status: r.status, coverage: Number(r.coverage), scorecardVersion: r.version }))
  }
}

@Resolver()
export class HealthScoreSubscriptionResolver {
  @Subscription(() => HealthScoreChange, {
    description: 'Scores as they change, with their components and tier change; pass accountId to follow one account.',
    topics: ({ context }) => (context as GraphQLContext).topics.score,
    filter: ({ payload, args }) => !args.accountId || (payload as HealthScoreChanged).accountId === args.accountId,
  })
  healthScoreChanged(@Root() change: HealthScoreChanged, @Arg('accountId', () => ID, { nullable: true }) _accountId?: string): HealthScoreChange {
    return toHealthScoreChange(change)
  }
}

export function toHealthScoreChange(change: HealthScoreChanged): HealthScoreChange {
  return {
    ...change,
    status: change.status as ScoreStatus,
    tierChanged: change.tier !== change.previousTier,
    asOf: new Date(change.asOf),
    computedAt: new Date(change.computedAt),
    trend: { ...change.trend, direction: change.trend.direction as TrendDirection },
  }
}
