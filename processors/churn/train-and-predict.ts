/**
 * One training: read the point-in-time snapshots, fit and backtest, store the outcome, and — when the model
 * is READY — predict every active account with it. A model that is not READY is stored for its report, and
 * no account gets a probability from it.
 */
import type { Logger } from 'pino'
import type { ChurnRiskChanged } from '../scoring/index.js'
import type { PredictionRecord, StoredTraining } from './model-store.js'
import { insertTraining } from './model-store.js'
import { predictAccounts } from './predict-accounts.js'
import { readTrainingSet, type SnapshotDeps } from './snapshots.js'
import { trainChurnModel, type TrainOptions } from './train.js'

export interface ChurnDeps extends SnapshotDeps {
  now?: () => number
  logger?: Logger
  /** Told of every account whose probability moved by a point or more (for `churnRiskChanged`). */
  publish?: (change: ChurnRiskChanged) => void
  /** Told of every stored prediction (for the playbooks' churn thresholds); a failure fails the pass. */
  onPredicted?: (records: PredictionRecord[]) => Promise<void>
}

export interface TrainingRun {
  training: StoredTraining
  predicted: number
  ms: { features: number; fit: number; predict: number }
}

export async function trainAndPredict(deps: ChurnDeps, opts: Omit<TrainOptions, 'now'> & { intervalDays?: number }): Promise<TrainingRun> {
  const now = (deps.now ?? Date.now)()
  const set = await readTrainingSet(deps, { horizonDays: opts.horizonDays, intervalDays: opts.intervalDays, now })
  const fitStart = Date.now()
  const training = trainChurnModel(set.rows, { ...opts, now, components: set.components })
  const fit = Date.now() - fitStart
  const stored = await insertTraining(deps.clickhouse, training)
  const predictStart = Date.now()
  const predicted = training.status === 'READY' && training.model ? (await predictAccounts(deps, training.model, 'all', now)).length : 0
  const run = { training: stored, predicted, ms: { features: set.ms.features, fit, predict: Date.now() - predictStart } }
  deps.logger?.info({ status: training.status, reason: training.reason, version: stored.version, rows: training.rows, predicted, ms: run.ms }, 'churn model trained')
  return run
}
