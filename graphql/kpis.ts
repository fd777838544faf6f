import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, Float, Int, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql'
import { DEFAULT_TARGETS, groupKpis, readKpiInputs, type AccountAttributes } from '../processors/kpis/index.js'
import type { GraphQLContext } from './context.js'

export enum KpiGrouping {
  PORTFOLIO = 'PORTFOLIO',
  SEGMENT = 'SEGMENT',
  CSM = 'CSM',
  ACCOUNT = 'ACCOUNT',
}
registerEnumType(KpiGrouping, { name: 'KpiGrouping', description: 'The whole portfolio, each segment, each CSM’s book of accounts, or each account.' })

@ObjectType({ description: 'Customer-success KPIs of one group over a period [from, to); docs/KPIS.md gives every formula. Null: no data for it in the period.' })
export class KpiGroup {
  @Field(() => String, { description: 'The segment (UNKNOWN without one), CSM id (UNASSIGNED), account id, or "portfolio".' })
  key!: string

  @Field(() => Int, { description: 'Accounts seen before the end of the period.' })
  accounts!: number

  @Field(() => Float, { nullable: true, description: '% promoters (9-10) − % detractors (0-6) of the NPS answers in the period, -100 to 100.' })
  nps!: number | null

  @Field(() => Int)
  npsResponses!: number

  @Field(() => Float, { nullable: true, description: 'Share of CSAT ratings of 4-5 (1-5 scale) in the period, 0-1.' })
  csat!: number | null

  @Field(() => Float, { nullable: true, description: 'Average CSAT rating, 1-5.' })
  csatAverage!: number | null

  @Field(() => Int)
  csatResponses!: number

  @Field(() => Float, { nullable: true, description: 'Median days from signup to the value milestone, of accounts that reached it in the period.' })
  timeToValueDays!: number | null

  @Field(() => Int)
  timeToValueAccounts!: number

  @Field(() => Float, { nullable: true, description: 'Active users over the 30 days before the end / seats purchased, of accounts that report seats.' })
  adoptionRate!: number | null

  @Field(() => Float, { nullable: true, description: 'Accounts paying at the start whose MRR rose by the end / accounts paying at the start.' })
  expansionRate!: number | null

  @Field(() => Float, { nullable: true, description: '(start MRR + expansion − contraction − churn) / start MRR, of accounts paying at the start.' })
  netRevenueRetention!: number | null

  @Field(() => Float, { nullable: true, description: '(start MRR − contraction − churn) / start MRR.' })
  grossRevenueRetention!: number | null

  @Field(() => Float, { nullable: true, description: 'Accounts paying at the start that canceled by the end / accounts paying at the start.' })
  logoChurnRate!: number | null

  @Field(() => Int)
  startAccounts!: number

  @Field(() => Float, { description: 'MRR at the start of accounts paying then, minor units.' })
  mrrStartCents!: number

  @Field(() => Float, { description: 'Their MRR at the end (0 for those that canceled).' })
  mrrEndCents!: number

  @Field(() => Float)
  expansionCents!: number

  @Field(() => Float)
  contractionCents!: number

  @Field(() => Float)
  churnedMrrCents!: number

  @Field(() => Int)
  churnedAccounts!: number

  @Field(() => Int)
  expandedAccounts!: number

  @Field(() => Float, { nullable: true, description: 'Playbook tasks due in the period that were done by its end / tasks due (canceled ones left out), 0-1.' })
  taskCompletionRate!: number | null

  @Field(() => Float, { nullable: true, description: 'Playbook tasks due in the period done by their due date / tasks due: the playbooks followed as written, 0-1.' })
  playbookAdherence!: number | null

  @Field(() => Int, { description: "Playbook tasks due in the period (of the group's accounts), canceled ones left out." })
  tasksDue!: number

  @Field(() => Int)
  tasksDone!: number
}

@ObjectType({ description: 'The metric sheet’s targets (PULSE_KPI_TARGETS; defaults from the sheet): time to value is met below its target, every other KPI above it.' })
export class KpiTargets {
  @Field(() => Float, { description: 'NPS above this, -100 to 100.' })
  nps!: number

  @Field(() => Float, { description: 'Average CSAT above this, 1-5.' })
  csatAverage!: number

  @Field(() => Float, { description: 'Median time to value below this many days.' })
  timeToValueDays!: number

  @Field(() => Float, { description: 'Adoption rate above this, 0-1.' })
  adoptionRate!: number

  @Field(() => Float, { description: 'Expansion rate above this, 0-1.' })
  expansionRate!: number

  @Field(() => Float, { description: 'Net revenue retention above this (1 = 100 %).' })
  netRevenueRetention!: number
}

const DAY = 86_400_000

@Resolver()
export class KpiResolver {
  @Query(() => KpiTargets, { description: 'The targets KPIs are held to on the metric sheet and in the console.' })
  kpiTargets(@Ctx() ctx: GraphQLContext): KpiTargets {
    return ctx.kpiTargets ?? DEFAULT_TARGETS
  }

  @Query(() => [KpiGroup], { description: 'KPIs over [from, to) (default: the 30 days before now), for the portfolio or per segment, CSM or account.' })
  async kpis(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Arg('groupBy', () => KpiGrouping, { defaultValue: KpiGrouping.PORTFOLIO }) groupBy: KpiGrouping,
    @Arg('milestone', () => String, { nullable: true, description: 'The onboarding milestoneId that counts as first value; default PULSE_TTV_MILESTONE, else the first milestone of any id.' })
    milestone: string | null,
  ): Promise<KpiGroup[]> {
    const end = to ?? new Date()
    const start = from ?? new Date(end.getTime() - 30 * DAY)
    if (!(start < end)) throw new GraphQLError(`kpis: from (${start.toISOString()}) must be before to (${end.toISOString()})`, { extensions: { code: 'BAD_USER_INPUT' } })
    if (end.getTime() - start.getTime() > 3 * 366 * DAY) throw new GraphQLError('kpis: a period may span at most 3 years', { extensions: { code: 'BAD_USER_INPUT' } })
    const [inputs, attributes] = await Promise.all([
      readKpiInputs(ctx.clickhouse, { from: start.getTime(), to: end.getTime() }, { milestone: milestone ?? ctx.ttvMilestone ?? undefined }),
      groupBy === KpiGrouping.SEGMENT || groupBy === KpiGrouping.CSM ? ctx.loaders.attributes() : new Map<string, AccountAttributes>(),
    ])
    return groupKpis(inputs, groupBy, attributes)
  }
}
