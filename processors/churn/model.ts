/**
 * Pure: a trained churn model and what it says about one account — a calibrated probability of churning
 * within the horizon, and the features that push it up or down.
 */
import { calibrate, type Calibration } from './calibration.js'
import { describeFeature } from './features.js'
import { logOdds } from './logistic-regression.js'
import { standardizeRow, type Standardizer } from './standardize.js'

export interface ChurnModel {
  version: string
  horizonDays: number
  trainedAt: number
  /** The L2 penalty the fit used. */
  l2: number
  standardizer: Standardizer
  intercept: number
  /** Per standardized feature, in the standardizer's order. */
  coefficients: number[]
  calibration: Calibration
}

export interface Driver {
  feature: string
  description: string
  /** The account's value, in the feature's own units; null when unknown (scored as average). */
  value: number | null
  /** Log-odds this feature adds against an average account of the training snapshots (positive raises risk). */
  contribution: number
}

export interface ChurnPrediction {
  probability: number
  drivers: Driver[]
}


/** Raw log-odds of one feature row (NaN = unknown). */
export function modelScore(model: ChurnModel, row: ArrayLike<number>): number {
  return logOdds(model, standardizeRow(model.standardizer, row))
}

/**
 * The calibrated probability and the `top` drivers by size of contribution. Standardized features are 0 at
 * the training average, so coefficient × standardized value is the feature's push against an average account.
 */
export function predictChurn(model: ChurnModel, row: ArrayLike<number>, top = 5): ChurnPrediction {
  const z = standardizeRow(model.standardizer, row)
  const drivers: Driver[] = model.standardizer.features.map((feature, j) => ({
    feature,
    description: describeFeature(feature),
    value: Number.isFinite(row[j]) ? row[j] : null,
    contribution: model.coefficients[j] * z[j],
  }))
  drivers.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
  return { probability: calibrate(model.calibration, logOdds(model, z)), drivers: drivers.filter((d) => Math.abs(d.contribution) > 1e-9).slice(0, top) }
}
