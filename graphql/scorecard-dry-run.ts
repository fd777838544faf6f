import { GraphQLError } from 'graphql'
import { GraphQLJSONObject } from 'graphql-scalars'
import { Arg, Ctx, Field, Float, ID, Int, ObjectType, Query, Resolver } from 'type-graphql'
import { dryRunScorecard, readYaml, resolveScorecard, ScorecardError, type LoadedScorecard } from '../processors/scoring/index.js'
import type { GraphQLContext } from './context.js'
import { ScoreStatus } from './health-score.js'

@ObjectType({ description: 'A score as one scorecard gives it.' })
export class DryRunOutcome {
  @Field(() => Int, { nullable: true })
  score!: number | null

  @Field(() => String, { nullable: true })
  tier!: string | null

  @Field(() => ScoreStatus)
  status!: ScoreStatus

  @Field(() => Float)
  coverage!: number
}

@ObjectType({ description: "One account's score with the running scorecard and with the candidate." })
export class DryRunAccount {
  @Field(() => ID)
  accountId!: string

  @Field(() => DryRunOutcome)
  current!: DryRunOutcome

  @Field(() => DryRunOutcome)
  candidate!: DryRunOutcome

  @Field(() => Int, { nullable: true, description: 'Candidate minus current score; null when either has none.' })
  change!: number | null

  @Field(() => Boolean)
  tierChanged!: boolean
}

@ObjectType({ description: 'How many accounts would go from one tier to another (from = to: they stay).' })
export class TierMove {
  @Field(() => String, { description: 'Tier with the running scorecard; INSUFFICIENT_DATA for scores without one.' })
  from!: string

  @Field(() => String, { description: 'Tier with the candidate scorecard.' })
  to!: string

  @Field(() => Int)
  accounts!: number
}

@ObjectType()
export class ScorecardRef {
  @Field(() => String)
  version!: string

  @Field(() => String)
  source!: string
}

@ObjectType({ description: 'What a candidate scorecard would change if Pulse ran with it; nothing is written.' })
export class ScorecardDryRun {
  @Field(() => Date)
  asOf!: Date

  @Field(() => ScorecardRef)
  current!: ScorecardRef

  @Field(() => ScorecardRef)
  candidate!: ScorecardRef

  @Field(() => Int)
  accountsScored!: number

  @Field(() => Int)
  tierChanges!: number

  @Field(() => Int)
  scoreChanges!: number

  @Field(() => [String], { description: 'Row labels of the matrix: the running tiers, best first.' })
  currentTiers!: string[]

  @Field(() => [String], { description: 'Column labels: the candidate tiers, best first.' })
  candidateTiers!: string[]

  @Field(() => [TierMove])
  matrix!: TierMove[]

  @Field(() => [DryRunAccount], { description: 'Accounts, tier changes first then the largest score changes, up to `limit`.' })
  accounts!: DryRunAccount[]
}

@Resolver()
export class ScorecardDryRunResolver {
  @Query(() => ScorecardDryRun, { description: 'Scores accounts now with the running scorecard and with a candidate (YAML, as in pulse.scoring.yaml) and says what would move. Writes nothing.' })
  async scorecardDryRun(
    @Ctx() ctx: GraphQLContext,
    @Arg('scorecard', () => String, { description: 'The candidate scorecard file\'s YAML; `preset: NAME` alone selects a preset.' }) scorecard: string,
    @Arg('fileName', () => String, { defaultValue: 'candidate.yaml', description: 'Named in error messages.' }) fileName: string,
    @Arg('weights', () => GraphQLJSONObject, { nullable: true, description: 'PULSE_SCORING_WEIGHT_* overrides, as in the environment.' }) weights: Record<string, unknown> | undefined,
    @Arg('accountIds', () => [ID], { nullable: true, description: 'Only these accounts; all by default.' }) accountIds: string[] | undefined,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
  ): Promise<ScorecardDryRun> {
    const candidate = parseCandidate(scorecard, fileName, weights ?? {})
    const run = await dryRunScorecard({ clickhouse: ctx.clickhouse, scorecard: ctx.scorecard }, candidate, accountIds ? { accountIds } : { all: true }, Date.now())
    const missing = accountIds?.filter((id) => !run.accounts.some((a) => a.accountId === id)) ?? []
    if (missing.length) throw new GraphQLError(`scorecardDryRun: no account ${missing.map((m) => JSON.stringify(m)).join(', ')} has sent events`, { extensions: { code: 'BAD_USER_INPUT' } })
    const outcome = (o: (typeof run.accounts)[number]['current']) => ({ ...o, status: o.status as ScoreStatus })
    return {
      ...run,
      asOf: new Date(run.asOf),
      accounts: run.accounts.slice(0, Math.max(0, limit)).map((a) => ({ ...a, current: outcome(a.current), candidate: outcome(a.candidate) })),
    }
  }
}

function parseCandidate(text: string, fileName: string, weights: Record<string, unknown>): LoadedScorecard {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(weights)) {
    if (!name.startsWith('PULSE_SCORING_WEIGHT_')) throw new GraphQLError(`scorecardDryRun: weights may only name PULSE_SCORING_WEIGHT_* variables, got ${name}`, { extensions: { code: 'BAD_USER_INPUT' } })
    env[name] = String(value)
  }
  try {
    return resolveScorecard(readYaml(fileName, text), env)
  } catch (err) {
    if (err instanceof ScorecardError) throw new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT', problems: err.problems } })
    throw err
  }
}
