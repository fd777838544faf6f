-- Every refusal at the gateway, aggregated there per second: one row per (subject, version, kind, path,
-- expected, actual kind, source) with how many events it stands for and one redacted sample.
CREATE TABLE IF NOT EXISTS schema_drift (
  time DateTime64(3, 'UTC'),
  subject String,
  version UInt32,
  kind LowCardinality(String),
  path String,
  expected String,
  actual String,
  source LowCardinality(String),
  sample String,
  count UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (subject, kind, path, time)
TTL toDateTime(time) + INTERVAL 90 DAY;
