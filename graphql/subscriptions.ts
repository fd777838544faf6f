import { Arg, Field, Float, ID, Int, ObjectType, Resolver, Root, Subscription } from 'type-graphql'
import type { ChurnRiskChanged, DriftDetected, HealthScoreChanged } from '../processors/scoring/index.js'
import type { GraphQLContext } from './context.js'
import { DriftKind } from './drift.js'
import { HealthScoreChange, toHealthScoreChange } from './health-score.js'

@ObjectType({ description: "An account's churn probability moved by a point or more (or was predicted for the first time)." })
export class ChurnRiskChange {
  @Field(() => ID)
  accountId!: string

  @Field(() => Float)
  probability!: number

  @Field(() => Float, { nullable: true, description: 'Null for the first prediction.' })
  previousProbability!: number | null

  @Field(() => Int)
  horizonDays!: number

  @Field(() => Float, { nullable: true, description: 'probability × MRR, per month.' })
  revenueAtRisk!: number | null

  @Field(() => String)
  modelVersion!: string

  @Field(() => Date)
  computedAt!: Date
}

@ObjectType({ description: 'A kind of drift (event, kind, field path, source) the gateway refused for the first time.' })
export class DriftDetection extends DriftKind {
  @Field(() => Int, { description: 'Refused events in the first record.' })
  events!: number

  @Field(() => Date)
  time!: Date
}

const topics = (which: keyof GraphQLContext['topics']) => ({ context }: { context: unknown }) => (context as GraphQLContext).topics[which]

@Resolver()
export class ChangeSubscriptionResolver {
  @Subscription(() => HealthScoreChange, {
    description: 'Scores whose tier changed; accountId follows one account, tiers only moves into those tiers (e.g. ["Critical"]).',
    topics: topics('score'),
    filter: ({ payload, args }) => {
      const c = payload as HealthScoreChanged
      return c.tier !== c.previousTier && (!args.accountId || c.accountId === args.accountId) && (!args.tiers || args.tiers.includes(c.tier))
    },
  })
  tierChanged(
    @Root() change: HealthScoreChanged,
    @Arg('accountId', () => ID, { nullable: true }) _accountId?: string,
    @Arg('tiers', () => [String], { nullable: true }) _tiers?: string[],
  ): HealthScoreChange {
    return toHealthScoreChange(change)
  }

  @Subscription(() => ChurnRiskChange, {
    description: 'Churn probabilities as they move; accountId follows one account, minProbability only those at or above it.',
    topics: topics('churnRisk'),
    filter: ({ payload, args }) => {
      const c = payload as ChurnRiskChanged
      return (!args.accountId || c.accountId === args.accountId) && (args.minProbability === undefined || args.minProbability === null || c.probability >= args.minProbability)
    },
  })
  churnRiskChanged(
    @Root() change: ChurnRiskChanged,
    @Arg('accountId', () => ID, { nullable: true }) _accountId?: string,
    @Arg('minProbability', () => Float, { nullable: true }) _minProbability?: number,
  ): ChurnRiskChange {
    return { ...change, computedAt: new Date(change.computedAt) }
  }

  @Subscription(() => DriftDetection, {
    description: 'New kinds of drift as the gateway first refuses them (for engineers); subject follows one event.',
    topics: topics('drift'),
    filter: ({ payload, args }) => !args.subject || (payload as DriftDetected).subject === args.subject,
  })
  driftDetected(@Root() drift: DriftDetected, @Arg('subject', () => String, { nullable: true }) _subject?: string): DriftDetection {
    return { ...drift, time: new Date(drift.time) }
  }
}
