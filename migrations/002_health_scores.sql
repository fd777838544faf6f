-- One row per computed score: the history is kept for trends and backtests; the latest row is the current score.
CREATE TABLE IF NOT EXISTS health_scores (
  account_id String,
  score UInt8,
  tier LowCardinality(String),
  computed_at DateTime64(3, 'UTC'),
  events_30d UInt32,
  active_users_30d UInt32,
  active_days_30d UInt16
) ENGINE = MergeTree
ORDER BY (account_id, computed_at);
