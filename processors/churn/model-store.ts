/** The churn tables of migration 009: trainings with their reports and models, and the latest prediction per account. */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'
import type { ChurnModel, Driver } from './model.js'
import type { ChurnTraining } from './train.js'

/** A training as stored: the report without the per-row predictions, and the model when one was fitted. */
export type StoredTraining = Omit<ChurnTraining, 'model' | 'backtest'> & {
  version: string
  backtest: Omit<NonNullable<ChurnTraining['backtest']>, 'predictions'> | null
  model: ChurnModel | null
}

export async function insertTraining(clickhouse: ClickHouseClient, training: ChurnTraining): Promise<StoredTraining> {
  const { model, backtest, ...rest } = training
  const version = model?.version ?? `${training.horizonDays}d-none-${training.trainedAt}`
  const stored: StoredTraining = { ...rest, version, backtest: backtest && (({ predictions: _, ...b }) => b)(backtest), model }
  const { model: _m, ...report } = stored
  await clickhouse.insert({
    table: 'churn_models',
    format: 'JSONEachRow',
    values: [{ version, trained_at: chTime(new Date(training.trainedAt)), horizon_days: training.horizonDays, status: training.status, reason: training.reason, report: JSON.stringify(report), model: model ? JSON.stringify(model) : '' }],
  })
  inForce.delete(clickhouse)
  return stored
}

/** What the API needs of the training in force, without reading its report and model (a request reads it once). */
export interface ModelInForce {
  version: string
  status: ChurnTraining['status']
  horizonDays: number
  reason: string
  baseRate: number
  trainedAt: number
}

export async function readModelInForce(clickhouse: ClickHouseClient): Promise<ModelInForce | null> {
  const [row] = await queryRows<Record<string, string | number>>(
    clickhouse,
    `SELECT version, status, horizon_days AS horizonDays, reason, JSONExtractFloat(report, 'baseRate') AS baseRate, toUnixTimestamp64Milli(trained_at) AS trainedAt
     FROM churn_models ORDER BY trained_at DESC, version DESC LIMIT 1`,
  )
  if (!row) return null
  return { version: String(row.version), status: row.status as ModelInForce['status'], horizonDays: Number(row.horizonDays), reason: String(row.reason), baseRate: Number(row.baseRate), trainedAt: Number(row.trainedAt) }
}

/** How long a process keeps the model in force it read (see `modelInForce`). */
const MODEL_IN_FORCE_MS = 2_000
const inForce = new WeakMap<ClickHouseClient, { until: number; model: Promise<ModelInForce | null> }>()

/**
 * The model in force as `readModelInForce` reads it, kept for two seconds per ClickHouse client: every API
 * request for an account or a page asks for it, reading it costs chDB ~4 ms however small the table, and it
 * changes only when a training ends. A training stored through this process (`insertTraining`) is seen at once;
 * one stored by another process (a ClickHouse server shared by several) within two seconds.
 */
export function modelInForce(clickhouse: ClickHouseClient): Promise<ModelInForce | null> {
  const now = Date.now()
  const kept = inForce.get(clickhouse)
  if (kept && now < kept.until) return kept.model
  const entry = { until: now + MODEL_IN_FORCE_MS, model: readModelInForce(clickhouse) }
  inForce.set(clickhouse, entry)
  // A failed read is not kept: the next request reads again.
  entry.model.catch(() => inForce.get(clickhouse) === entry && inForce.delete(clickhouse))
  return entry.model
}

/** The training in force: the latest. */
export async function readLatestTraining(clickhouse: ClickHouseClient): Promise<StoredTraining | null> {
  const [row] = await queryRows<{ report: string; model: string }>(clickhouse, 'SELECT report, model FROM churn_models ORDER BY trained_at DESC, version DESC LIMIT 1')
  if (!row) return null
  return { ...(JSON.parse(row.report) as Omit<StoredTraining, 'model'>), model: row.model ? (JSON.parse(row.model) as ChurnModel) : null }
}

export interface PredictionRecord {
  accountId: string
  asOf: number
  computedAt: number
  modelVersion: string
  horizonDays: number
  probability: number
  mrrCents: number | null
  drivers: Driver[]
}

export async function insertPredictions(clickhouse: ClickHouseClient, records: PredictionRecord[]): Promise<void> {
  if (!records.length) return
  await clickhouse.insert({
    table: 'churn_predictions',
    format: 'JSONEachRow',
    values: records.map((r) => ({
      account_id: r.accountId,
      as_of: chTime(new Date(r.asOf)),
      computed_at: chTime(new Date(r.computedAt)),
      model_version: r.modelVersion,
      horizon_days: r.horizonDays,
      probability: r.probability,
      mrr_cents: r.mrrCents,
      drivers: JSON.stringify(r.drivers),
    })),
  })
}

export async function readPredictions(clickhouse: ClickHouseClient, accountIds: string[] | 'all'): Promise<Map<string, PredictionRecord>> {
  const rows = await queryRows<Record<string, any>>(
    clickhouse,
    `SELECT account_id, toUnixTimestamp64Milli(as_of) AS asOf, toUnixTimestamp64Milli(computed_at) AS computedAt, model_version, horizon_days, probability, mrr_cents, drivers
     FROM churn_predictions FINAL ${accountIds === 'all' ? '' : 'WHERE account_id IN {ids:Array(String)}'}`,
    accountIds === 'all' ? {} : { ids: accountIds },
  )
  return new Map(
    rows.map((r) => [
      r.account_id,
      {
        accountId: r.account_id,
        asOf: Number(r.asOf),
        computedAt: Number(r.computedAt),
        modelVersion: r.model_version,
        horizonDays: Number(r.horizon_days),
        probability: Number(r.probability),
        mrrCents: r.mrr_cents === null ? null : Number(r.mrr_cents),
        drivers: JSON.parse(r.drivers),
      },
    ]),
  )
}
