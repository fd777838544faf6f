-- The delivery log of alert webhooks: one row per (endpoint, delivery id) and attempt, the latest winning on
-- merge (read with FINAL). `pending` while retries remain, `delivered`, or `dead` once they ran out.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  delivery_id String,
  endpoint LowCardinality(String),
  type LowCardinality(String),
  status LowCardinality(String),
  attempts UInt16,
  http_status Nullable(UInt16),
  last_error String,
  latency_ms UInt32,
  first_attempt_at DateTime64(3, 'UTC'),
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (endpoint, delivery_id);
