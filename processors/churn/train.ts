/**
 * Pure: from point-in-time snapshots to a backtested, calibrated churn model — or to an honest refusal.
 *
 * The backtest holds out both time and accounts: the model is fitted on the earliest 60 % of snapshot dates,
 * calibrated on the next 20 %, and judged on the last 20 %, where only accounts that took no part in fitting
 * or calibrating are scored. The model that serves is then refitted the same way on every account (fit on
 * the first 80 % of dates, calibrated on the last 20 %), so it has seen the most recent data.
 */
import crypto from 'node:crypto'
import { calibrate, fitIsotonic, fitPlatt, type Calibration } from './calibration.js'
import { describeFeature, featureNames } from './features.js'
import { fitLogisticRegression, logOdds, sigmoid, type LogisticModel } from './logistic-regression.js'
import { auc, aucInterval, brier, expectedCalibrationError, logLoss, reliabilityTable, topShare, type ReliabilityBin } from './metrics.js'
import type { ChurnModel } from './model.js'
import { suggestScorecard, type ComponentInfo, type ScorecardSuggestion } from './scorecard-suggestion.js'
import { fitStandardizer, standardizeRow } from './standardize.js'

/** One account at one snapshot: its features as of then (NaN = unknown) and whether it churned within the horizon. */
export interface TrainingRow {
  accountId: string
  asOf: number
  x: Float64Array
  label: 0 | 1
  /** Raw health score as of the snapshot, null when the scorecard had too little data. */
  healthScore: number | null
  /** Share of points each scorecard component earned (NaN without data), for `pulse score suggest`. */
  components?: Float64Array
}

export type ModelStatus = 'INSUFFICIENT_DATA' | 'NO_SIGNAL' | 'READY'

export interface TrainOptions {
  horizonDays: number
  /** L2 penalty; by default chosen from L2_GRID by cross-validation over accounts. */
  l2?: number
  /** Fewest churned accounts (within a labeled window) worth learning from. @defaultValue 20 */
  minChurnEvents?: number
  /** Fewest labeled snapshot dates: enough for the three time folds. @defaultValue 5 */
  minSnapshots?: number
  /** Fewest churners among the held-out test rows for a backtest to mean anything. @defaultValue 10 */
  minTestChurnEvents?: number
  /** The AUC interval's lower end must clear this for READY. @defaultValue 0.55 */
  minAucLow?: number
  /** @defaultValue 500 */
  bootstrapResamples?: number
  seed?: number
  now: number
  /** Where the time went, in ms, added up over the backtest and the serving fit (for bench/churn-training.ts). */
  timings?: { penalty: number; fit: number; calibrate: number; evaluate: number; suggest: number }
  /**
   * The running scorecard's components, in the order of the rows' `components` (and of the feature columns
   * after the measure features): adds a scorecard suggestion. Without it rows hold the measure features only.
   */
  components?: ComponentInfo[]
}

export interface Evaluation {
  rows: number
  accounts: number
  churnEvents: number
  auc: number
  aucLow: number
  aucHigh: number
  brier: number
  logLoss: number
  calibrationError: number
  calibration: ReliabilityBin[]
  top10: { precision: number; recall: number; flagged: number }
}

export interface Backtest {
  folds: { train: DateRange; calibrate: DateRange; test: DateRange }
  calibrationMethod: Calibration['method']
  baseRate: number
  brierBaseRate: number
  model: Evaluation
  /** The same figures for the health score alone (risk = 100 − score, calibrated the same way). */
  healthScore: Evaluation | null
  /** Every held-out prediction, for comparing with a known truth; not stored with the model. */
  predictions: { accountId: string; asOf: number; probability: number; label: 0 | 1 }[]
}

export interface DateRange {
  from: number
  to: number
  snapshots: number
}

export interface ChurnTraining {
  status: ModelStatus
  /** Why the status is what it is, with the figures. */
  reason: string
  horizonDays: number
  trainedAt: number
  snapshots: number
  rows: number
  accounts: number
  /** Churned accounts observed within a labeled window. */
  churnEvents: number
  /** Share of labeled rows that churned within the horizon. */
  baseRate: number
  backtest: Backtest | null
  /** Present when READY (and kept for inspection when NO_SIGNAL, never served). */
  model: ChurnModel | null
  /** The serving model's coefficients by size: log-odds per standard deviation. */
  topDrivers: { feature: string; description: string; coefficient: number }[]
  /** What the same history says about the scorecard's weights (absent without enough data). */
  scorecardSuggestion: ScorecardSuggestion | null
}

const FOLD_SHARES = [0.6, 0.2, 0.2]
const TEST_ACCOUNT_SHARE = 0.3

/** A stable hash of an account id into [0, 1): which accounts are held out does not change between trainings. */
function accountShare(accountId: string): number {
  let share = shares.get(accountId)
  if (share === undefined) {
    share = crypto.createHash('sha1').update(accountId).digest().readUInt32BE(0) / 0x100000000
    // Every row of an account asks again (a million times in a large training): remember a bounded number.
    if (shares.size >= 1_000_000) shares.clear()
    shares.set(accountId, share)
  }
  return share
}
const shares = new Map<string, number>()

function splitDates(dates: number[], shares: number[]): number[][] {
  const out: number[][] = []
  let from = 0
  shares.forEach((share, i) => {
    const to = i === shares.length - 1 ? dates.length : Math.max(from + 1, Math.round(dates.length * shares.slice(0, i + 1).reduce((a, b) => a + b, 0)))
    out.push(dates.slice(from, to))
    from = to
  })
  return out
}

const range = (dates: number[]): DateRange => ({ from: dates[0], to: dates[dates.length - 1], snapshots: dates.length })

/** Isotonic needs plenty of both outcomes to beat Platt's two parameters (scikit-learn's guidance: ≫ 1,000 rows). */
function fitCalibration(scores: number[], labels: number[]): Calibration {
  const positives = labels.reduce((a, b) => a + b, 0)
  return labels.length >= 5000 && positives >= 250 && labels.length - positives >= 250 ? fitIsotonic(scores, labels) : fitPlatt(scores, labels)
}

/**
 * Penalties tried when none is configured. Weekly snapshots of one account are near copies, so the data hold
 * far fewer independent rows than they seem to, and the right strength varies with the portfolio: it is
 * chosen by cross-validation over accounts (3 folds, each account's snapshots together), by log loss.
 */
export const L2_GRID = [1, 10, 100, 1000, 10000]
const CV_FOLDS = 3

/** Rows the penalty search looks at, at most: a sample of whole accounts beyond that (the search fits 15 models). */
const CV_MAX_ROWS = 40_000

function choosePenalty(allZ: Float64Array[], allY: number[], allAccounts: string[], opts: TrainOptions): number {
  if (opts.l2 !== undefined) return opts.l2
  // On a sample of accounts the penalty is scaled back up to the full data (the loss is a sum over rows).
  const keep = Math.min(1, CV_MAX_ROWS / allZ.length)
  const sampled = allAccounts.map((a) => keep >= 1 || accountShare(`cv-sample:${a}`) < keep)
  const z = allZ.filter((_, i) => sampled[i])
  const y = allY.filter((_, i) => sampled[i])
  const accounts = allAccounts.filter((_, i) => sampled[i])
  const scale = allZ.length / Math.max(1, z.length)
  const fold = accounts.map((a) => Math.floor(accountShare(`cv:${a}`) * CV_FOLDS))
  const folds = Array.from({ length: CV_FOLDS }, (_, f) => {
    const fitIdx = fold.flatMap((g, i) => (g !== f ? [i] : []))
    const heldIdx = fold.flatMap((g, i) => (g === f ? [i] : []))
    return { x: fitIdx.map((i) => z[i]), y: fitIdx.map((i) => y[i]), heldX: heldIdx.map((i) => z[i]), heldY: heldIdx.map((i) => y[i]), previous: undefined as LogisticModel | undefined }
  }).filter((f) => f.heldX.length && f.y.some((v) => v) && !f.y.every((v) => v))
  let best = { l2: L2_GRID[0], loss: Infinity }
  // Strongest penalty first: each fold's fit starts from its fit at the next stronger penalty, a few steps away.
  for (const l2 of [...L2_GRID].sort((a, b) => b - a)) {
    let loss = 0
    for (const f of folds) {
      const fit = (f.previous = fitLogisticRegression(f.x, f.y, { l2: (l2 * f.x.length) / z.length, start: f.previous }))
      loss += logLoss(f.heldX.map((row) => sigmoid(logOdds(fit, row))), f.heldY) * f.heldY.length
    }
    if (loss < best.loss) best = { l2, loss }
  }
  return best.l2 * scale
}

/**
 * Rows the final fit uses, at most: beyond that a sample of whole accounts. Weekly snapshots of 50,000
 * accounts are a million near-duplicate rows; a quarter of them fit the same coefficients within noise at a
 * quarter of the cost, and the calibration on the later fold restores the probabilities' scale either way.
 */
export const FIT_MAX_ROWS = 250_000

function fitModel(allTrain: TrainingRow[], cal: TrainingRow[], opts: TrainOptions, start?: ChurnModel): { model: ChurnModel; rows: number } {
  const keep = Math.min(1, FIT_MAX_ROWS / allTrain.length)
  const train = keep >= 1 ? allTrain : allTrain.filter((r) => accountShare(`fit-sample:${r.accountId}`) < keep)
  if (opts.l2 !== undefined && keep < 1) opts = { ...opts, l2: (opts.l2 * train.length) / allTrain.length }
  const standardizer = fitStandardizer(featureNames(opts.components ?? []), train.map((r) => r.x))
  const z = train.map((r) => standardizeRow(standardizer, r.x))
  const y = train.map((r) => r.label)
  const t0 = performance.now()
  const l2 = choosePenalty(z, y, train.map((r) => r.accountId), opts)
  const t1 = performance.now()
  const fit = fitLogisticRegression(z, y, { l2, start })
  const t2 = performance.now()
  const scores = cal.map((r) => logOdds(fit, standardizeRow(standardizer, r.x)))
  const calibration = fitCalibration(scores, cal.map((r) => r.label))
  if (opts.timings) {
    opts.timings.penalty += t1 - t0
    opts.timings.fit += t2 - t1
    opts.timings.calibrate += performance.now() - t2
  }
  const body = { horizonDays: opts.horizonDays, l2, standardizer, intercept: fit.intercept, coefficients: fit.coefficients, calibration }
  const version = `${opts.horizonDays}d-${crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12)}`
  return { model: { version, trainedAt: opts.now, ...body }, rows: train.length }
}

function evaluate(probabilities: number[], rows: TrainingRow[], opts: TrainOptions, rank: number[] = probabilities): Evaluation {
  const labels = rows.map((r) => r.label)
  const interval = aucInterval(rank, labels, rows.map((r) => r.accountId), { resamples: opts.bootstrapResamples ?? 500, seed: opts.seed ?? 1 })
  return {
    rows: rows.length,
    accounts: new Set(rows.map((r) => r.accountId)).size,
    churnEvents: new Set(rows.filter((r) => r.label).map((r) => r.accountId)).size,
    auc: auc(rank, labels),
    aucLow: interval.low,
    aucHigh: interval.high,
    brier: brier(probabilities, labels),
    logLoss: logLoss(probabilities, labels),
    calibrationError: expectedCalibrationError(probabilities, labels),
    calibration: reliabilityTable(probabilities, labels),
    top10: topShare(rank, labels, 0.1),
  }
}

/** The health score alone as a predictor: risk = 100 − score, Platt-calibrated on the calibration fold. */
function evaluateHealthScore(cal: TrainingRow[], test: TrainingRow[], opts: TrainOptions): Evaluation | null {
  const scored = (rows: TrainingRow[]) => rows.filter((r) => r.healthScore !== null)
  const c = scored(cal)
  const t = scored(test)
  if (!c.length || !t.length || !c.some((r) => r.label) || !t.some((r) => r.label)) return null
  const risk = (r: TrainingRow) => (100 - r.healthScore!) / 10
  const platt = fitPlatt(c.map(risk), c.map((r) => r.label))
  return evaluate(t.map((r) => calibrate(platt, risk(r))), t, opts, t.map(risk))
}

function timed<T>(opts: TrainOptions, what: keyof NonNullable<TrainOptions['timings']>, run: () => T): T {
  const start = performance.now()
  try {
    return run()
  } finally {
    if (opts.timings) opts.timings[what] += performance.now() - start
  }
}

export function trainChurnModel(rows: TrainingRow[], opts: TrainOptions): ChurnTraining {
  const minChurn = opts.minChurnEvents ?? 20
  const minSnapshots = opts.minSnapshots ?? 5
  const minTest = opts.minTestChurnEvents ?? 10
  const dates = [...new Set(rows.map((r) => r.asOf))].sort((a, b) => a - b)
  const churnEvents = new Set(rows.filter((r) => r.label).map((r) => r.accountId)).size
  const baseRate = rows.length ? rows.reduce((s, r) => s + r.label, 0) / rows.length : 0
  const base = {
    horizonDays: opts.horizonDays,
    trainedAt: opts.now,
    snapshots: dates.length,
    rows: rows.length,
    accounts: new Set(rows.map((r) => r.accountId)).size,
    churnEvents,
    baseRate,
    topDrivers: [],
    scorecardSuggestion: null,
  }
  const insufficient = (reason: string): ChurnTraining => ({ ...base, status: 'INSUFFICIENT_DATA', reason, backtest: null, model: null })
  if (dates.length < minSnapshots) {
    return insufficient(
      `${dates.length} snapshot date${dates.length === 1 ? '' : 's'} with a complete ${opts.horizonDays}-day outcome; ${minSnapshots} are needed ` +
        `(a history of at least ${opts.horizonDays} days plus ${minSnapshots} weeks)`,
    )
  }
  if (churnEvents < minChurn) return insufficient(`${churnEvents} churned account${churnEvents === 1 ? '' : 's'} in the labeled history; ${minChurn} are needed`)

  // Backtest: time folds, and the test fold scored only on accounts held out of fitting and calibrating.
  const [trainDates, calDates, testDates] = splitDates(dates, FOLD_SHARES).map((d) => new Set(d))
  const held = (r: TrainingRow) => accountShare(r.accountId) < TEST_ACCOUNT_SHARE
  const train = rows.filter((r) => trainDates.has(r.asOf) && !held(r))
  const cal = rows.filter((r) => calDates.has(r.asOf) && !held(r))
  const test = rows.filter((r) => testDates.has(r.asOf) && held(r))
  const testChurns = new Set(test.filter((r) => r.label).map((r) => r.accountId)).size
  if (testChurns < minTest || !train.some((r) => r.label) || !cal.some((r) => r.label)) {
    return insufficient(`${testChurns} churned account${testChurns === 1 ? '' : 's'} among the held-out accounts of the latest snapshots; ${minTest} are needed to judge a model (more accounts or a longer history)`)
  }
  const { model: backtested, rows: backtestRows } = fitModel(train, cal, opts)
  const probabilities = test.map((r) => calibrate(backtested.calibration, logOdds(backtested, standardizeRow(backtested.standardizer, r.x))))
  const trainRate = [...train, ...cal].reduce((s, r) => s + r.label, 0) / (train.length + cal.length)
  const backtest: Backtest = {
    folds: { train: range([...trainDates]), calibrate: range([...calDates]), test: range([...testDates]) },
    calibrationMethod: backtested.calibration.method,
    baseRate: trainRate,
    brierBaseRate: brier(test.map(() => trainRate), test.map((r) => r.label)),
    model: timed(opts, 'evaluate', () => evaluate(probabilities, test, opts)),
    healthScore: timed(opts, 'evaluate', () => evaluateHealthScore(cal, test, opts)),
    predictions: test.map((r, i) => ({ accountId: r.accountId, asOf: r.asOf, probability: probabilities[i], label: r.label })),
  }

  const scorecardSuggestion = opts.components?.length ? timed(opts, 'suggest', () => suggestScorecard(opts.components!, { train, calibrate: cal, test })) : null

  // The serving model: every account, fitted on the first 80 % of dates and calibrated on the rest.
  const [fitDates, lastDates] = splitDates(dates, [0.8, 0.2]).map((d) => new Set(d))
  // The penalty found for the backtest, scaled to the serving fit's rows, rather than a second search; and its
  // coefficients as the start (the same features standardized over similar rows: a few steps away).
  const fitRows = rows.filter((r) => fitDates.has(r.asOf))
  const { model } = fitModel(fitRows, rows.filter((r) => lastDates.has(r.asOf)), { ...opts, l2: opts.l2 ?? (backtested.l2 * fitRows.length) / backtestRows }, backtested)
  const topDrivers = model.coefficients
    .map((coefficient, j) => ({ feature: model.standardizer.features[j], description: describeFeature(model.standardizer.features[j]), coefficient }))
    .sort((a, b) => Math.abs(b.coefficient) - Math.abs(a.coefficient))
    .slice(0, 10)

  const m = backtest.model
  const figures = `AUC ${m.auc.toFixed(3)} (95 % interval ${m.aucLow.toFixed(3)}–${m.aucHigh.toFixed(3)}), Brier ${m.brier.toFixed(4)} against ${backtest.brierBaseRate.toFixed(4)} for the base rate`
  const minAucLow = opts.minAucLow ?? 0.55
  if (m.aucLow < minAucLow || !(m.brier < backtest.brierBaseRate)) {
    return {
      ...base,
      status: 'NO_SIGNAL',
      reason: `no reliable signal on held-out accounts: ${figures}; READY needs the interval above ${minAucLow} and a Brier score below the base rate's`,
      backtest,
      model,
      topDrivers,
      scorecardSuggestion,
    }
  }
  return { ...base, status: 'READY', reason: `backtested on held-out accounts of the latest snapshots: ${figures}`, backtest, model, topDrivers, scorecardSuggestion }
}
