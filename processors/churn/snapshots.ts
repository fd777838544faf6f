/**
 * Point-in-time training data: for every snapshot date, every account active then, its features computed
 * only from events before the snapshot (the scoring measures' reader guarantees it), and whether it churned
 * within the horizon after. Snapshots are at midnight UTC, weekly back from the last one whose horizon has
 * fully passed.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import type { MeasureValues, Segment } from '../scoring/index.js'
import { portfolioReader, readAccountInputs } from '../scoring/measure-query.js'
import { measureValues } from '../scoring/measure-values.js'
import { computeScore } from '../scoring/score.js'
import type { Scorecard } from '../scoring/scorecard.js'
import { featureRow } from './features.js'
import { activeAt, churnedWithin, readChurns } from './labels.js'
import type { ComponentInfo } from './scorecard-suggestion.js'
import type { TrainingRow } from './train.js'

const DAY = 86_400_000
const TREND_DAYS = 28
/**
 * The longest window a usage measure looks back over (35 days: weekly actives now against 4 weeks ago). A
 * snapshot closer than this to the first stored event would see truncated windows — every account of an
 * imported history looking like it just started — so none is taken there, and no trend reaches back there.
 */
export const MIN_HISTORY_DAYS = 35

export interface SnapshotDeps {
  clickhouse: ClickHouseClient
  /** The running scorecard: its core features feed a measure, and its score is compared with the model. */
  card: Scorecard
  portfolio?: ReturnType<typeof portfolioReader>
}

export interface AccountSnapshot {
  accountId: string
  firstSeen: number
  values: MeasureValues
  segment: Segment | null
}

/** Every account's measures as of `t` (epoch ms), from events before it only. */
export async function readMeasuresAt(deps: SnapshotDeps, t: number, accountIds?: string[], live = false): Promise<Map<string, AccountSnapshot>> {
  const portfolio = deps.portfolio ?? portfolioReader(deps.clickhouse)
  const selection = accountIds ? { accountIds } : ({ all: true } as const)
  const [inputs, p] = await Promise.all([readAccountInputs(deps.clickhouse, selection, new Date(t), live), portfolio(new Date(t), deps.card.coreFeatures)])
  const out = new Map<string, AccountSnapshot>()
  for (const a of inputs) {
    const { values, segment } = measureValues(a, p, t)
    out.set(a.accountId, { accountId: a.accountId, firstSeen: a.firstSeen, values, segment })
  }
  return out
}

/** The scorecard's components (leaves), in the order `snapshotFeatures` reports their fractions. */
export function scorecardComponents(card: Scorecard): ComponentInfo[] {
  return computeScore(card, {}, null).components.map((c) => ({ name: c.name, measure: c.measure, weight: c.weight }))
}

/**
 * Pure: the feature row of an account as of a snapshot, with its measures four weeks earlier for the trends;
 * and its raw health score and each component's share of points earned (NaN without data).
 */
export function snapshotFeatures(card: Scorecard, now: AccountSnapshot, before: AccountSnapshot | undefined, components = scorecardComponents(card)): { x: Float64Array; healthScore: number | null; components: Float64Array } {
  const raw = computeScore(card, now.values, now.segment)
  const row = featureRow({ values: now.values, before: before?.values ?? null, segment: now.segment, healthScore: raw.score })
  const fraction = new Map(raw.components.map((c) => [c.name, c.fraction]))
  const shares = Float64Array.from(components, (c) => fraction.get(c.name) ?? NaN)
  const x = new Float64Array(row.length + shares.length)
  row.forEach((v, i) => (x[i] = v === null ? NaN : v))
  x.set(shares, row.length)
  return { x, healthScore: raw.score, components: shares }
}

/**
 * Pure: the labeled snapshot dates, oldest first: midnights every `intervalDays` back from today's, from the
 * first whose horizon has fully passed. (Anchored on today rather than on now − horizon, so the grid is the
 * same whatever the horizon.)
 */
export function snapshotDates(firstEvent: number, now: number, opts: { horizonDays: number; intervalDays: number; maxSnapshots: number }): number[] {
  const today = Math.floor(now / DAY) * DAY
  const step = opts.intervalDays * DAY
  const last = today - Math.ceil((opts.horizonDays * DAY - (now - today)) / step) * step
  const dates: number[] = []
  for (let t = last; t >= firstEvent + MIN_HISTORY_DAYS * DAY && dates.length < opts.maxSnapshots; t -= step) dates.push(t)
  return dates.reverse()
}

export interface TrainingSet {
  rows: TrainingRow[]
  /** The running scorecard's components, in the order of each row's `components`. */
  components: ComponentInfo[]
  dates: number[]
  /** Epoch ms of the first event in the store, null when it is empty. */
  firstEvent: number | null
  ms: { features: number }
}

export interface TrainingSetOptions {
  horizonDays: number
  /** @defaultValue 7 */
  intervalDays?: number
  /** @defaultValue 104 */
  maxSnapshots?: number
  now: number
}

export async function readTrainingSet(deps: SnapshotDeps, opts: TrainingSetOptions): Promise<TrainingSet> {
  const began = Date.now()
  const [[first], churns] = await Promise.all([
    queryRows<{ first: string | null }>(deps.clickhouse, 'SELECT toUnixTimestamp64Milli(min(first_seen)) AS first FROM account_profile_state HAVING count() > 0'),
    readChurns(deps.clickhouse),
  ])
  const firstEvent = first?.first ? Number(first.first) : null
  if (firstEvent === null) return { rows: [], components: scorecardComponents(deps.card), dates: [], firstEvent, ms: { features: 0 } }
  const dates = snapshotDates(firstEvent, opts.now, { horizonDays: opts.horizonDays, intervalDays: opts.intervalDays ?? 7, maxSnapshots: opts.maxSnapshots ?? 104 })
  const deps2 = { ...deps, portfolio: deps.portfolio ?? portfolioReader(deps.clickhouse) }
  // Measures by date, kept only while a later snapshot still needs them for its four-week trend.
  const cache = new Map<number, Promise<Map<string, AccountSnapshot>>>()
  const measuresAt = (t: number) => {
    let m = cache.get(t)
    if (!m) cache.set(t, (m = readMeasuresAt(deps2, t)))
    return m
  }
  const rows: TrainingRow[] = []
  const components = scorecardComponents(deps.card)
  for (const t of dates) {
    const [now, before] = await Promise.all([measuresAt(t), t - TREND_DAYS * DAY >= firstEvent + MIN_HISTORY_DAYS * DAY ? measuresAt(t - TREND_DAYS * DAY) : undefined])
    for (const a of now.values()) {
      const churnedAt = churns.get(a.accountId)
      if (!activeAt(a.firstSeen, churnedAt, t)) continue
      const f = snapshotFeatures(deps.card, a, before?.get(a.accountId), components)
      rows.push({ accountId: a.accountId, asOf: t, x: f.x, healthScore: f.healthScore, components: f.components, label: churnedWithin(churnedAt, t, opts.horizonDays * DAY) })
    }
    for (const d of cache.keys()) if (d <= t - TREND_DAYS * DAY) cache.delete(d)
  }
  return { rows, components, dates, firstEvent, ms: { features: Date.now() - began } }
}
