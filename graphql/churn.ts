import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, FieldResolver, Float, Int, Mutation, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql'
import { readLatestTraining, type Evaluation as EvaluationRecord, type StoredTraining } from '../processors/churn/index.js'
import { Account } from './account.js'
import type { GraphQLContext } from './context.js'

export enum ChurnModelStatus {
  INSUFFICIENT_DATA = 'INSUFFICIENT_DATA',
  NO_SIGNAL = 'NO_SIGNAL',
  READY = 'READY',
}
registerEnumType(ChurnModelStatus, {
  name: 'ChurnModelStatus',
  description:
    'READY: backtested with signal, accounts get probabilities. NO_SIGNAL: the backtest found no reliable signal (its figures say how little). ' +
    'INSUFFICIENT_DATA: too few churn events or too short a history to train (the reason says how many and how many are needed). ' +
    'While not READY no account gets a probability; the base rate is shown for what it is.',
})

@ObjectType({ description: "A feature's push on one account's churn log-odds against an average account of the training snapshots." })
export class ChurnDriver {
  @Field(() => String)
  feature!: string

  @Field(() => String)
  description!: string

  @Field(() => Float, { nullable: true, description: "The account's value in the feature's own units; null when unknown (scored as average)." })
  value!: number | null

  @Field(() => Float, { description: 'Log-odds added; positive raises the risk.' })
  contribution!: number
}

@ObjectType({ description: "An account's churn risk from the model in force." })
export class ChurnRisk {
  @Field(() => ChurnModelStatus)
  status!: ChurnModelStatus

  @Field(() => Float, { nullable: true, description: 'Calibrated probability of churning within the horizon; null unless the model is READY and the account is active.' })
  probability!: number | null

  @Field(() => Int, { nullable: true })
  horizonDays!: number | null

  @Field(() => Float, { nullable: true, description: "probability × MRR, in the currency's major units per month (e.g. dollars)." })
  revenueAtRisk!: number | null

  @Field(() => String, { nullable: true })
  modelVersion!: string | null

  @Field(() => Date, { nullable: true, description: 'When this prediction was computed.' })
  computedAt!: Date | null

  @Field(() => Float, { nullable: true, description: "The portfolio's churn base rate over the horizon, from the training data: what is known while no model is READY." })
  baseRate!: number | null

  @Field(() => String, { nullable: true, description: 'Why there is no probability, when there is none.' })
  reason!: string | null

  @Field(() => [ChurnDriver])
  drivers!: ChurnDriver[]
}

@ObjectType({ description: 'Predicted against observed churn for one decile of predicted risk (held-out accounts).' })
export class CalibrationBin {
  @Field(() => Float)
  predicted!: number

  @Field(() => Float)
  observed!: number

  @Field(() => Int)
  accounts!: number
}

@ObjectType({ description: "A feature's weight in the serving model: log-odds per standard deviation." })
export class ModelDriver {
  @Field(() => String)
  feature!: string

  @Field(() => String)
  description!: string

  @Field(() => Float)
  coefficient!: number
}

@ObjectType({ description: 'Backtest figures of one predictor on the held-out accounts of the latest snapshots.' })
export class BacktestEvaluation {
  @Field(() => Int, { description: 'Account snapshots scored.' })
  rows!: number

  @Field(() => Int)
  accounts!: number

  @Field(() => Int)
  churnEvents!: number

  @Field(() => Float)
  auc!: number

  @Field(() => Float, { description: 'Lower end of the 95 % bootstrap interval (accounts resampled).' })
  aucLow!: number

  @Field(() => Float)
  aucHigh!: number

  @Field(() => Float)
  brier!: number

  @Field(() => Float)
  logLoss!: number

  @Field(() => Float, { description: 'Expected calibration error over ten equal-width bins.' })
  calibrationError!: number

  @Field(() => Float, { description: 'Share of churners among the riskiest 10 %.' })
  top10Precision!: number

  @Field(() => Float, { description: 'Share of all churners found in the riskiest 10 %.' })
  top10Recall!: number

  @Field(() => [CalibrationBin])
  calibration!: CalibrationBin[]
}

@ObjectType({ description: 'One scorecard component as the churn history sees it.' })
export class ScorecardComponentSuggestion {
  @Field(() => String, { description: 'Path in the scorecard, e.g. product.adoption.' })
  name!: string

  @Field(() => String)
  measure!: string

  @Field(() => Float, { description: 'Configured share of the score, in %.' })
  currentWeight!: number

  @Field(() => Int, { description: 'Suggested share of the score, in % (the suggestions add up to 100).' })
  suggestedWeight!: number

  @Field(() => Float, { nullable: true, description: 'AUC of the component alone (its shortfall as the risk) where it has data.' })
  auc!: number | null

  @Field(() => Float, { description: 'Share of account snapshots where the component has data.' })
  coverage!: number
}

@ObjectType({ description: 'A scorecard judged as a churn predictor on the held-out accounts of the latest snapshots.' })
export class ScorecardBacktest {
  @Field(() => Float)
  auc!: number

  @Field(() => Float)
  aucLow!: number

  @Field(() => Float)
  aucHigh!: number

  @Field(() => Float, { description: 'Brier score once the score is calibrated to a probability (Platt, on the calibration weeks).' })
  brier!: number
}

@ObjectType({ description: 'How predictive each scorecard component is, the weights the churn history suggests, and the backtest of both scorecards.' })
export class ScorecardSuggestion {
  @Field(() => [ScorecardComponentSuggestion])
  components!: ScorecardComponentSuggestion[]

  @Field(() => ScorecardBacktest, { nullable: true })
  current!: ScorecardBacktest | null

  @Field(() => ScorecardBacktest, { nullable: true })
  suggested!: ScorecardBacktest | null

  @Field(() => Int, { description: 'Account snapshots the weights were fitted on.' })
  trainRows!: number

  @Field(() => Int, { description: 'Held-out account snapshots both scorecards were judged on.' })
  testRows!: number
}

@ObjectType({ description: 'The churn model in force: its state, its backtest and what drives it.' })
export class ChurnModel {
  @Field(() => ChurnModelStatus)
  status!: ChurnModelStatus

  @Field(() => String, { description: 'Why the status is what it is, with the figures.' })
  reason!: string

  @Field(() => String)
  version!: string

  @Field(() => Int)
  horizonDays!: number

  @Field(() => Date)
  trainedAt!: Date

  @Field(() => Int, { description: 'Accounts in the training snapshots.' })
  accounts!: number

  @Field(() => Int, { description: 'Churned accounts observed within a labeled window.' })
  churnEvents!: number

  @Field(() => Int)
  snapshots!: number

  @Field(() => Float)
  baseRate!: number

  @Field(() => Float, { nullable: true })
  auc!: number | null

  @Field(() => Float, { nullable: true })
  aucLow!: number | null

  @Field(() => Float, { nullable: true })
  aucHigh!: number | null

  @Field(() => Float, { nullable: true })
  brier!: number | null

  @Field(() => Float, { nullable: true, description: 'Brier score of predicting the base rate for everyone: the bar to beat.' })
  brierBaseRate!: number | null

  @Field(() => Float, { nullable: true })
  logLoss!: number | null

  @Field(() => String, { nullable: true, description: 'platt or isotonic.' })
  calibrationMethod!: string | null

  @Field(() => [CalibrationBin])
  calibration!: CalibrationBin[]

  @Field(() => BacktestEvaluation, { nullable: true, description: 'The model on the held-out test fold.' })
  backtest!: BacktestEvaluation | null

  @Field(() => BacktestEvaluation, { nullable: true, description: 'The health score alone on the same fold: is the scorecard itself predictive?' })
  healthScoreBacktest!: BacktestEvaluation | null

  @Field(() => [ModelDriver])
  topDrivers!: ModelDriver[]

  @Field(() => ScorecardSuggestion, { nullable: true, description: 'The running scorecard against the same history (pulse score suggest).' })
  scorecardSuggestion!: ScorecardSuggestion | null
}

const evaluation = (e: EvaluationRecord | null | undefined): BacktestEvaluation | null =>
  e ? { ...e, top10Precision: e.top10.precision, top10Recall: e.top10.recall } : null

export function toChurnModel(t: StoredTraining): ChurnModel {
  const m = t.backtest?.model
  return {
    status: t.status as ChurnModelStatus,
    reason: t.reason,
    version: t.version,
    horizonDays: t.horizonDays,
    trainedAt: new Date(t.trainedAt),
    accounts: t.accounts,
    churnEvents: t.churnEvents,
    snapshots: t.snapshots,
    baseRate: t.baseRate,
    auc: m?.auc ?? null,
    aucLow: m?.aucLow ?? null,
    aucHigh: m?.aucHigh ?? null,
    brier: m?.brier ?? null,
    brierBaseRate: t.backtest?.brierBaseRate ?? null,
    logLoss: m?.logLoss ?? null,
    calibrationMethod: t.backtest?.calibrationMethod ?? null,
    calibration: m?.calibration ?? [],
    backtest: evaluation(m),
    healthScoreBacktest: evaluation(t.backtest?.healthScore),
    topDrivers: t.topDrivers,
    scorecardSuggestion: t.scorecardSuggestion
      ? { ...t.scorecardSuggestion, trainRows: t.scorecardSuggestion.rows.train, testRows: t.scorecardSuggestion.rows.test }
      : null,
  }
}

@Resolver(() => Account)
export class AccountChurnResolver {
  @FieldResolver(() => ChurnRisk, { nullable: true, description: 'Churn risk from the model in force; null before any model was trained.' })
  async churnRisk(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<ChurnRisk | null> {
    const training = await ctx.loaders.latestTraining()
    if (!training) return null
    const common = { status: training.status as ChurnModelStatus, horizonDays: training.horizonDays, baseRate: training.baseRate, drivers: [] }
    if (training.status !== 'READY') {
      return { ...common, probability: null, revenueAtRisk: null, modelVersion: null, computedAt: null, reason: training.reason }
    }
    const p = await ctx.loaders.prediction.load(account.id)
    // A prediction from an earlier model is not served: the model in force has not scored this account (yet).
    if (!p || p.modelVersion !== training.version) {
      return { ...common, probability: null, revenueAtRisk: null, modelVersion: training.version, computedAt: null, reason: 'no prediction for this account from the model in force: it is not active (canceled, or no event yet) or not predicted yet' }
    }
    return {
      ...common,
      probability: p.probability,
      revenueAtRisk: p.mrrCents === null ? null : (p.probability * p.mrrCents) / 100,
      modelVersion: p.modelVersion,
      computedAt: new Date(p.computedAt),
      reason: null,
      drivers: p.drivers,
    }
  }
}

@Resolver(() => ChurnModel)
export class ChurnModelResolver {
  @Query(() => ChurnModel, { nullable: true, description: 'The churn model in force (the latest training, whatever its outcome); null before the first training.' })
  async churnModel(@Ctx() ctx: GraphQLContext): Promise<ChurnModel | null> {
    const t = await readLatestTraining(ctx.clickhouse)
    return t ? toChurnModel(t) : null
  }

  @Mutation(() => ChurnModel, { description: 'Trains the churn model now (on the churn worker) and returns the outcome, which is then in force.' })
  async trainChurnModel(@Arg('horizonDays', () => Int, { nullable: true }) horizonDays: number | null, @Ctx() ctx: GraphQLContext): Promise<ChurnModel> {
    if (!ctx.trainChurn) throw new GraphQLError('churn training is not available from this GraphQL server (no Redis connection for the churn queue)', { extensions: { code: 'SERVICE_UNAVAILABLE' } })
    if (horizonDays !== null && (horizonDays < 1 || horizonDays > 730)) throw new GraphQLError(`horizonDays must be between 1 and 730, got ${horizonDays}`, { extensions: { code: 'BAD_USER_INPUT' } })
    const run = await ctx.trainChurn(horizonDays ?? undefined)
    return toChurnModel(run.training)
  }
}
