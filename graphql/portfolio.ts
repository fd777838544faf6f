import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, FieldResolver, Float, Int, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql'
import { bucketEnds, groupKpis, readCohorts, readCsmIds, readKpiInputs, readRevenueAtRisk, type AccountAttributes, type PortfolioScope, type TierCount } from '../processors/kpis/index.js'
import type { GraphQLContext } from './context.js'
import { KpiGroup } from './kpis.js'

export enum TrendResolution {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(TrendResolution, { name: 'TrendResolution', description: 'Buckets of a trend: days, weeks from Monday, calendar months (UTC).' })

@ObjectType({ description: "One health tier's accounts and MRR at the end of the period, against its start." })
export class TierShare {
  @Field(() => String)
  tier!: string

  @Field(() => Int)
  accounts!: number

  @Field(() => Float, { description: 'Of the active scored accounts, 0-1.' })
  share!: number

  @Field(() => Float)
  mrrCents!: number

  @Field(() => Float, { description: 'Of the active scored accounts’ MRR, 0-1.' })
  mrrShare!: number

  @Field(() => Int, { description: 'At the start of the period.' })
  previousAccounts!: number

  @Field(() => Float)
  previousMrrCents!: number

  @Field(() => Int, { description: 'accounts − previousAccounts.' })
  accountsChange!: number

  @Field(() => Float, { nullable: true, description: 'mrrCents / previousMrrCents − 1; null when there was none.' })
  mrrChange!: number | null
}

@ObjectType({ description: 'A tier’s accounts and MRR at the end of one bucket of a trend.' })
export class TierPoint {
  @Field(() => Date, { description: 'The end of the bucket (its last millisecond, or the end of the period).' })
  at!: Date

  @Field(() => String)
  tier!: string

  @Field(() => Int)
  accounts!: number

  @Field(() => Float)
  share!: number

  @Field(() => Float)
  mrrCents!: number
}

@ObjectType({ description: "The churn model's view of the portfolio (null while no model is READY)." })
export class PortfolioRisk {
  @Field(() => String)
  modelVersion!: string

  @Field(() => Int)
  horizonDays!: number

  @Field(() => Int, { description: 'Active accounts with a prediction.' })
  accounts!: number

  @Field(() => Float, { description: 'Their MRR.' })
  mrrCents!: number

  @Field(() => Float, { description: 'Σ churn probability × MRR.' })
  revenueAtRiskCents!: number

  @Field(() => Float, { nullable: true, description: 'Net revenue retention over the horizon if expected churn happens and nothing expands: 1 − revenueAtRisk / MRR.' })
  forecastNetRetention!: number | null
}

@ObjectType({ description: 'Accounts by signup month.' })
export class Cohort {
  @Field(() => String, { description: 'YYYY-MM.' })
  month!: string

  @Field(() => Int)
  accounts!: number

  @Field(() => Int, { description: 'Not canceled.' })
  active!: number

  @Field(() => Float, { nullable: true, description: 'Average latest health score of the active accounts.' })
  averageHealth!: number | null

  @Field(() => Float, { description: 'active / accounts.' })
  retained!: number
}

@ObjectType({ description: "The portfolio over a period [from, to): every account, or one segment's, one CSM's book, or both (by the accounts' current profiles)." })
export class Portfolio {
  @Field(() => Date)
  from!: Date

  @Field(() => Date)
  to!: Date

  @Field(() => String, { nullable: true })
  segment!: string | null

  @Field(() => String, { nullable: true, description: 'The CSM whose book of accounts this is (Profile.csmId).' })
  csm!: string | null
}

const DAY = 86_400_000

/** The distributions at `ats` through the request's loader, which reads every time asked for in a tick at once. */
async function tierDistribution(ctx: GraphQLContext, ats: number[], scope: PortfolioScope): Promise<TierCount[]> {
  return (await ctx.loaders.tierDistribution.loadMany(ats.map((at) => ({ at, scope })))).flatMap((r) => {
    if (r instanceof Error) throw r
    return r
  })
}

/** Pure: tier counts at one time with their shares, in the scorecard's tier order (then any others). */
export function tierShares(now: TierCount[], before: TierCount[], order: string[]): TierShare[] {
  const names = [...new Set([...order, ...now.map((t) => t.tier), ...before.map((t) => t.tier)])]
  const total = now.reduce((n, t) => n + t.accounts, 0)
  const mrr = now.reduce((n, t) => n + t.mrrCents, 0)
  return names.map((tier) => {
    const a = now.find((t) => t.tier === tier)
    const b = before.find((t) => t.tier === tier)
    const accounts = a?.accounts ?? 0
    const mrrCents = a?.mrrCents ?? 0
    const previousMrrCents = b?.mrrCents ?? 0
    return {
      tier,
      accounts,
      share: total ? accounts / total : 0,
      mrrCents,
      mrrShare: mrr ? mrrCents / mrr : 0,
      previousAccounts: b?.accounts ?? 0,
      previousMrrCents,
      accountsChange: accounts - (b?.accounts ?? 0),
      mrrChange: previousMrrCents ? mrrCents / previousMrrCents - 1 : null,
    }
  })
}

@Resolver(() => Portfolio)
export class PortfolioResolver {
  @Query(() => Portfolio, { description: 'Tiers now and trended, revenue at risk, cohorts and KPIs; the period defaults to the 30 days before now. segment and csm narrow every field to those accounts; together, to the accounts of both.' })
  portfolio(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Arg('segment', () => String, { nullable: true }) segment: string | null,
    @Arg('csm', () => String, { nullable: true, description: "A CSM's book: the accounts whose current profile has this csmId (one of `csms`), as kpis(groupBy: CSM) groups them." })
    csm: string | null,
  ): Portfolio {
    const end = to ?? new Date()
    const start = from ?? new Date(end.getTime() - 30 * DAY)
    if (!(start < end)) throw new GraphQLError(`portfolio: from (${start.toISOString()}) must be before to (${end.toISOString()})`, { extensions: { code: 'BAD_USER_INPUT' } })
    return { from: start, to: end, segment: segment || null, csm: csm || null }
  }

  @Query(() => [String], { description: 'The CSMs a portfolio can be narrowed to (its csm argument): the distinct csmIds of the accounts’ current profiles, in order.' })
  csms(@Ctx() ctx: GraphQLContext): Promise<string[]> {
    return readCsmIds(ctx.clickhouse)
  }

  @FieldResolver(() => [TierShare], { description: 'Health tiers at the end of the period (active accounts), with their counts and MRR at its start.' })
  async tiers(@Root() p: Portfolio, @Ctx() ctx: GraphQLContext): Promise<TierShare[]> {
    const rows = await tierDistribution(ctx, [p.from.getTime() - 1, p.to.getTime() - 1], p)
    return tierShares(rows.filter((r) => r.at === p.to.getTime() - 1), rows.filter((r) => r.at === p.from.getTime() - 1), ctx.scorecard.card.tiers.map((t) => t.name))
  }

  @FieldResolver(() => [TierPoint], { description: 'The tier distribution at the end of each day, week or month of the period (at most 400 buckets).' })
  async tierTrend(@Root() p: Portfolio, @Ctx() ctx: GraphQLContext, @Arg('resolution', () => TrendResolution, { defaultValue: TrendResolution.WEEK }) resolution: TrendResolution): Promise<TierPoint[]> {
    const rows = await tierDistribution(ctx, bucketEnds(p.from.getTime(), p.to.getTime(), resolution), p)
    const totals = new Map<number, number>()
    for (const r of rows) totals.set(r.at, (totals.get(r.at) ?? 0) + r.accounts)
    return rows.map((r) => ({ at: new Date(r.at), tier: r.tier, accounts: r.accounts, share: r.accounts / totals.get(r.at)!, mrrCents: r.mrrCents }))
  }

  @FieldResolver(() => PortfolioRisk, { nullable: true, description: "Revenue at risk from the churn model in force (now, whatever the period); null while it is not READY." })
  async risk(@Root() p: Portfolio, @Ctx() ctx: GraphQLContext): Promise<PortfolioRisk | null> {
    const training = await ctx.loaders.latestTraining()
    if (training?.status !== 'READY') return null
    const r = await readRevenueAtRisk(ctx.clickhouse, training.version, p)
    return { ...r, horizonDays: training.horizonDays, forecastNetRetention: r.mrrCents ? 1 - r.revenueAtRiskCents / r.mrrCents : null }
  }

  @FieldResolver(() => [Cohort], { description: 'Accounts by signup month (now): still active, average health, retained share.' })
  async cohorts(@Root() p: Portfolio, @Ctx() ctx: GraphQLContext): Promise<Cohort[]> {
    return readCohorts(ctx.clickhouse, p)
  }

  @FieldResolver(() => KpiGroup, {
    description: 'The KPIs of the period for its accounts; key: "portfolio", the segment, the CSM, or SEGMENT/CSM for both (a segment or CSM alone is that row of kpis(groupBy: SEGMENT or CSM)).',
  })
  async kpis(@Root() p: Portfolio, @Ctx() ctx: GraphQLContext): Promise<KpiGroup> {
    const scoped = Boolean(p.segment || p.csm)
    const [inputs, attributes] = await Promise.all([
      readKpiInputs(ctx.clickhouse, { from: p.from.getTime(), to: p.to.getTime() }, { milestone: ctx.ttvMilestone }),
      scoped ? ctx.loaders.attributes() : new Map<string, AccountAttributes>(),
    ])
    if (!scoped) return groupKpis(inputs, 'PORTFOLIO', attributes)[0]
    const inScope = (a: AccountAttributes | undefined) => (!p.segment || a?.segment === p.segment) && (!p.csm || a?.csmId === p.csm)
    const [group] = groupKpis(inputs.filter((a) => inScope(attributes.get(a.accountId))), 'PORTFOLIO', attributes)
    return { ...group, key: [p.segment, p.csm].filter(Boolean).join('/') }
  }
}
