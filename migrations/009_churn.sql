-- Churn models: every training, whatever its outcome, with its backtest report (JSON) and, when one was
-- fitted, the model itself (JSON: standardizer, coefficients, calibration). The latest row is the model in force.
CREATE TABLE IF NOT EXISTS churn_models (
  version String,
  trained_at DateTime64(3, 'UTC'),
  horizon_days UInt16,
  status LowCardinality(String),
  reason String,
  report String,
  model String
) ENGINE = MergeTree
ORDER BY (trained_at, version);

-- Each account's latest churn prediction (the ReplacingMergeTree keeps the last computed), with the model
-- version it came from: a prediction of a model no longer in force is not served.
CREATE TABLE IF NOT EXISTS churn_predictions (
  account_id String,
  as_of DateTime64(3, 'UTC'),
  computed_at DateTime64(3, 'UTC'),
  model_version String,
  horizon_days UInt16,
  probability Float64,
  mrr_cents Nullable(Int64),
  drivers String
) ENGINE = ReplacingMergeTree(computed_at)
ORDER BY account_id;
