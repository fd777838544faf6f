/**
 * Point-in-time training data: for every snapshot date, every account active then, its features computed
 * only from events before the snapshot (the scoring measures' reader guarantees it), and whether it churned
 * within the horizon after. Snapshots are at midnight UTC, weekly back from the last one whose horizon has
 * fully passed.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import type { MeasureValues, Segment } from '../scoring/index.js'
import { portfolioReader, readAccountInputsAt, type AccountSelection } from '../scoring/measure-query.js'
import { measureValues } from '../scoring/measure-values.js'
import { computeScore } from '../scoring/score.js'
import type { Scorecard } from '../scoring/scorecard.js'
import { featureRow } from './features.js'
import { activeAt, churnedWithin, readChurns } from './labels.js'
import type { ComponentInfo } from './scorecard-suggestion.js'
import { FIT_MAX_ROWS, type TrainingRow } from './train.js'

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
  return (await readMeasuresAtEach(deps, [t], accountIds ? { accountIds } : { all: true }, live)).get(t)!
}

/** The selected accounts' measures as of each time of `ts` (epoch ms), read in one pass. */
export async function readMeasuresAtEach(deps: SnapshotDeps, ts: number[], selection: AccountSelection, live = false): Promise<Map<number, Map<string, AccountSnapshot>>> {
  const portfolio = deps.portfolio ?? portfolioReader(deps.clickhouse)
  const [inputs, portfolios] = await Promise.all([
    readAccountInputsAt(deps.clickhouse, selection, ts, live),
    Promise.all(ts.map((t) => portfolio(new Date(t), deps.card.coreFeatures))),
  ])
  return new Map(
    ts.map((t, i) => {
      const out = new Map<string, AccountSnapshot>()
      for (const a of inputs.get(t) ?? []) {
        const { values, segment } = measureValues(a, portfolios[i], t)
        out.set(a.accountId, { accountId: a.accountId, firstSeen: a.firstSeen, values, segment })
      }
      return [t, out]
    }),
  )
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
  /** Accounts in the store, and the share of them whose snapshots were read (1 unless `maxRows` capped it). */
  accounts: number
  sampled: number
  ms: { features: number }
}

export interface TrainingSetOptions {
  horizonDays: number
  /** @defaultValue 7 */
  intervalDays?: number
  /** @defaultValue 104 */
  maxSnapshots?: number
  /**
   * Account snapshots to read at most (accounts × snapshot dates): beyond that, every snapshot of a stable
   * sample of whole accounts. The fit uses no more rows than this anyway (FIT_MAX_ROWS: weekly snapshots of
   * one account are near copies, and a quarter of 50,000 accounts fit the same coefficients within noise), so
   * reading more would only feed the backtest's test fold, at a minute of extraction per 250,000 more rows.
   * @defaultValue FIT_MAX_ROWS (250,000)
   */
  maxRows?: number
  now: number
}

/** Snapshot dates read together in one pass: each pass returns a row per account and date, so this bounds its memory. */
const DATES_PER_PASS = 8

export async function readTrainingSet(deps: SnapshotDeps, opts: TrainingSetOptions): Promise<TrainingSet> {
  const began = Date.now()
  const [[first], churns] = await Promise.all([
    queryRows<{ first: string | null; accounts: string }>(
      deps.clickhouse,
      'SELECT toUnixTimestamp64Milli(min(first_seen)) AS first, uniqExact(account_id) AS accounts FROM account_profile_state HAVING count() > 0',
    ),
    readChurns(deps.clickhouse),
  ])
  const firstEvent = first?.first ? Number(first.first) : null
  const accounts = Number(first?.accounts ?? 0)
  const components = scorecardComponents(deps.card)
  if (firstEvent === null) return { rows: [], components, dates: [], firstEvent, accounts, sampled: 1, ms: { features: 0 } }
  const dates = snapshotDates(firstEvent, opts.now, { horizonDays: opts.horizonDays, intervalDays: opts.intervalDays ?? 7, maxSnapshots: opts.maxSnapshots ?? 104 })
  const sampled = Math.min(1, (opts.maxRows ?? FIT_MAX_ROWS) / Math.max(1, accounts * dates.length))
  const selection: AccountSelection = sampled < 1 ? { sample: sampled } : { all: true }
  const deps2 = { ...deps, portfolio: deps.portfolio ?? portfolioReader(deps.clickhouse) }

  // Every date read: the snapshots and, for their four-week trends, the dates four weeks before them that
  // have enough history (on a weekly grid mostly snapshots themselves). Read oldest first, a few per pass;
  // measures are kept only while a later snapshot still needs them for its trend.
  const trendFrom = (t: number) => (t - TREND_DAYS * DAY >= firstEvent + MIN_HISTORY_DAYS * DAY ? t - TREND_DAYS * DAY : undefined)
  const reads = [...new Set([...dates, ...dates.map(trendFrom).filter((t) => t !== undefined)])].sort((a, b) => a - b)
  const snapshotsAt = new Set(dates)
  const measures = new Map<number, Map<string, AccountSnapshot>>()
  const rows: TrainingRow[] = []
  for (let i = 0; i < reads.length; i += DATES_PER_PASS) {
    const pass = reads.slice(i, i + DATES_PER_PASS)
    for (const [t, m] of await readMeasuresAtEach(deps2, pass, selection)) measures.set(t, m)
    for (const t of pass) {
      if (!snapshotsAt.has(t)) continue
      const from = trendFrom(t)
      const before = from === undefined ? undefined : measures.get(from)
      for (const a of measures.get(t)!.values()) {
        const churnedAt = churns.get(a.accountId)
        if (!activeAt(a.firstSeen, churnedAt, t)) continue
        const f = snapshotFeatures(deps.card, a, before?.get(a.accountId), components)
        rows.push({ accountId: a.accountId, asOf: t, x: f.x, healthScore: f.healthScore, components: f.components, label: churnedWithin(churnedAt, t, opts.horizonDays * DAY) })
      }
    }
    const last = pass[pass.length - 1]
    for (const d of measures.keys()) if (d <= last - TREND_DAYS * DAY) measures.delete(d)
  }
  return { rows, components, dates, firstEvent, accounts, sampled, ms: { features: Date.now() - began } }
}
