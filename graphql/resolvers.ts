import type { ClickHouseClient } from '@clickhouse/client'
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql'
import { GraphQLError } from 'graphql'
import type { HealthScoreChanged } from '../processors/score-events.js'
import { parseDuration } from '../runtime/config.js'
import { Account, DriftEntry, HealthScore, HealthScoreChange } from './types.js'

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

const DRIFT_SQL = `
SELECT subject, version, kind, path, expected, actual, source,
  sum(count) AS events, min(time) AS firstSeen, max(time) AS lastSeen, any(sample) AS sample
FROM schema_drift
WHERE time >= now64(3) - toIntervalMillisecond({sinceMs:UInt64})
  AND ({subject:String} = '' OR subject = {subject:String})
GROUP BY subject, version, kind, path, expected, actual, source
ORDER BY events DESC, subject, path
LIMIT 1000`

@Resolver()
export class DriftResolver {
  @Query(() => [DriftEntry], { description: 'What producers sent that the gateway refused, grouped by subject, kind, field path and source, most frequent first.' })
  async driftReport(
    @Arg('since', () => String, { defaultValue: '24h', description: 'Window to report on: 24h, 7d, 90m…' }) since: string,
    @Arg('subject', () => String, { nullable: true }) subject: string | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DriftEntry[]> {
    const sinceMs = parseDuration(since)
    if (sinceMs === undefined) throw new GraphQLError(`since must be a duration such as 24h, 7d or 90m; got "${since}"`, { extensions: { code: 'BAD_USER_INPUT' } })
    const rs = await ctx.clickhouse.query({ query: DRIFT_SQL, query_params: { sinceMs, subject: subject ?? '' }, format: 'JSONEachRow' })
    const rows = await rs.json<Record<string, string | number>>()
    const at = (t: string | number) => new Date(`${String(t).replace(' ', 'T')}Z`)
    return rows.map((r) => ({
      subject: String(r.subject),
      version: Number(r.version),
      kind: String(r.kind),
      path: String(r.path),
      expected: String(r.expected),
      actual: String(r.actual),
      source: String(r.source),
      events: Number(r.events),
      firstSeen: at(r.firstSeen),
      lastSeen: at(r.lastSeen),
      sample: String(r.sample),
    }))
  }
}
