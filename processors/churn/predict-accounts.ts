/**
 * Serving: the churn probability, drivers and revenue at risk of accounts as of now, from the model in
 * force, written to `churn_predictions`. Features come from the same reader as the training snapshots, so a
 * prediction sees what a snapshot would have seen.
 */
import { queryRows } from '../clickhouse-rows.js'
import { activeAt, readChurns } from './labels.js'
import { predictChurn, type ChurnModel } from './model.js'
import type { ChurnRiskChanged } from '../scoring/index.js'
import { insertPredictions, readPredictions, type PredictionRecord } from './model-store.js'
import { featureNames } from './features.js'
import { MIN_HISTORY_DAYS, readMeasuresAt, scorecardComponents, snapshotFeatures, type SnapshotDeps } from './snapshots.js'

const DAY = 86_400_000

/** A probability has to move by this much (or come from its first prediction) to be announced. */
export const ANNOUNCED_CHANGE = 0.01

export async function predictAccounts(
  deps: SnapshotDeps & { now?: () => number; publish?: (change: ChurnRiskChanged) => void; onPredicted?: (records: PredictionRecord[]) => Promise<void> },
  model: ChurnModel,
  accountIds: string[] | 'all',
  asOf: number,
): Promise<PredictionRecord[]> {
  const ids = accountIds === 'all' ? undefined : accountIds
  if (ids && !ids.length) return []
  const [[first], churns] = await Promise.all([
    queryRows<{ first: string | null }>(deps.clickhouse, 'SELECT toUnixTimestamp64Milli(min(first_seen)) AS first FROM account_profile_state HAVING count() > 0'),
    readChurns(deps.clickhouse, ids),
  ])
  const trendFrom = asOf - 28 * DAY
  const [now, before] = await Promise.all([
    readMeasuresAt(deps, asOf, ids, true),
    first?.first && trendFrom >= Number(first.first) + MIN_HISTORY_DAYS * DAY ? readMeasuresAt(deps, trendFrom, ids) : undefined,
  ])
  const computedAt = (deps.now ?? Date.now)()
  // Columns as the model knows them: a scorecard changed since training leaves its new components out and
  // its removed ones unknown (scored as average) until the next training.
  const components = scorecardComponents(deps.card)
  const names = featureNames(components)
  const column = new Map(names.map((n, i) => [n, i]))
  const pick = model.standardizer.features.map((f) => column.get(f) ?? -1)
  const records: PredictionRecord[] = []
  for (const a of now.values()) {
    if (!activeAt(a.firstSeen, churns.get(a.accountId), asOf)) continue
    const features = snapshotFeatures(deps.card, a, before?.get(a.accountId), components).x
    const x = Float64Array.from(pick, (i) => (i < 0 ? NaN : features[i]))
    const { probability, drivers } = predictChurn(model, x)
    const mrr = a.values.mrr_cents
    records.push({ accountId: a.accountId, asOf, computedAt, modelVersion: model.version, horizonDays: model.horizonDays, probability, mrrCents: mrr === null || mrr === undefined ? null : Number(mrr), drivers })
  }
  const previous = deps.publish && records.length ? await readPredictions(deps.clickhouse, ids ?? 'all') : new Map<string, PredictionRecord>()
  await insertPredictions(deps.clickhouse, records)
  if (deps.publish) for (const change of riskChanges(records, previous)) deps.publish(change)
  if (records.length) await deps.onPredicted?.(records)
  return records
}

/** Pure: the predictions worth announcing against the previous ones (new, or moved by ANNOUNCED_CHANGE or more). */
export function riskChanges(records: PredictionRecord[], previous: Map<string, PredictionRecord>): ChurnRiskChanged[] {
  return records.flatMap((r) => {
    const before = previous.get(r.accountId)
    if (before && Math.abs(before.probability - r.probability) < ANNOUNCED_CHANGE) return []
    return [{
      accountId: r.accountId,
      probability: r.probability,
      previousProbability: before?.probability ?? null,
      horizonDays: r.horizonDays,
      revenueAtRisk: r.mrrCents === null ? null : (r.probability * r.mrrCents) / 100,
      modelVersion: r.modelVersion,
      computedAt: new Date(r.computedAt).toISOString(),
    }]
  })
}

