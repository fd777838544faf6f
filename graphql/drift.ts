import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql'
import { parseDuration } from '../runtime/duration.js'
import { chDate, type GraphQLContext } from './context.js'

/** What names one kind of drift: the event, the refusal, the field and who sent it (not a schema type of its own: DriftEntry and DriftDetection extend it). */
@ObjectType()
export abstract class DriftKind {
  @Field(() => String, { description: 'Event name (schema subject) the producer sent.' })
  subject!: string

  @Field(() => Int, { description: 'Schema version checked against; 0 when the envelope was refused before.' })
  version!: number

  @Field(() => String, { description: 'type_mismatch, missing_field, unknown_field, unknown_event, or an envelope error.' })
  kind!: string

  @Field(() => String)
  path!: string

  @Field(() => String)
  expected!: string

  @Field(() => String)
  actual!: string

  @Field(() => String, { description: 'The API key name that sent the events.' })
  source!: string
}

@ObjectType({ description: 'One kind of refusal at the gateway over the report window, aggregated.' })
export class DriftEntry extends DriftKind {
  @Field(() => Float, { description: 'How many refused events this entry stands for.' })
  events!: number

  @Field(() => Date)
  firstSeen!: Date

  @Field(() => Date)
  lastSeen!: Date

  @Field(() => String, { description: 'A refused payload with its values replaced by their types.' })
  sample!: string
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
    return rows.map((r) => ({
      subject: String(r.subject),
      version: Number(r.version),
      kind: String(r.kind),
      path: String(r.path),
      expected: String(r.expected),
      actual: String(r.actual),
      source: String(r.source),
      events: Number(r.events),
      firstSeen: chDate(r.firstSeen),
      lastSeen: chDate(r.lastSeen),
      sample: String(r.sample),
    }))
  }
}
