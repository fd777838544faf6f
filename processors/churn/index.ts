// Churn prediction: point-in-time snapshots, a calibrated and backtested model, honest states, serving.
export { CHURN_QUEUE, createChurnQueue, createPredictQueue, markForPrediction, requestTraining, startChurnWorkers, type TrainJob } from './churn-worker.js'
export { modelInForce, readLatestTraining, readModelInForce, readPredictions, type ModelInForce, type PredictionRecord, type StoredTraining } from './model-store.js'
export { trainAndPredict, type TrainingRun } from './train-and-predict.js'
export { predictAccounts } from './predict-accounts.js'
export { FEATURES } from './features.js'
export type { ChurnModel, Driver } from './model.js'
export type { ModelStatus, Evaluation, Backtest } from './train.js'
