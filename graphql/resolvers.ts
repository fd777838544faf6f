import type { ClickHouseClient } from '@clickhouse/client'
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql'
import type { HealthScoreChanged } from '../processors/score-events.js'
import { Account, HealthScore, HealthScoreChange } from './types.js'

export interface GraphQLContext {
  clickhouse: ClickHouseClient
  /** The pub/sub topic score changes are published on. */
  scoreTopic: string
}

const LATEST_SCORE_SQL = `
SELECT argMax(score, computed_at) AS score, argMax(tier, computed_at) AS tier, max(computed_at) AS computedAt
FROM health_scores WHERE account_id = {accountId:String}
HAVING count() > 0`

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { description: 'The account with this id; its fields are empty until its first event is scored.' })
  account(@Arg('id', () => ID) id: string): Account {
    return { id }
  }

  @FieldResolver(() => HealthScore, { nullable: true, description: 'The latest score, or null before the first one.' })
  async healthScore(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<HealthScore | null> {
    const rs = await ctx.clickhouse.query({ query: LATEST_SCORE_SQL, query_params: { accountId: account.id }, format: 'JSONEachRow' })
    const [row] = await rs.json<{ score: number; tier: HealthScore['tier']; computedAt: string }>()
    if (!row) return null
    return { score: Number(row.score), tier: row.tier, computedAt: new Date(`${row.computedAt.replace(' ', 'T')}Z`) }
  }
}

@Resolver()
export class HealthScoreSubscriptionResolver {
  @Subscription(() => HealthScoreChange, {
    description: 'Score changes as they are computed; pass accountId to follow one account.',
    topics: ({ context }) => (context as GraphQLContext).scoreTopic,
    filter: ({ payload, args }) => !args.accountId || (payload as HealthScoreChanged).accountId === args.accountId,
  })
  healthScoreChanged(
    @Root() change: HealthScoreChanged,
    @Arg('accountId', () => ID, { nullable: true }) _accountId?: string,
  ): HealthScoreChange {
    return { ...change, computedAt: new Date(change.computedAt) }
  }
}
