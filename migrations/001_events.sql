-- Every accepted event, whatever its type. Properties keep their Avro-decoded JSON form;
-- typed per-event tables come later. A redelivered message has the same sorting key and collapses on merge.
CREATE TABLE IF NOT EXISTS events (
  message_id String,
  event LowCardinality(String),
  schema_id UInt32,
  account_id String,
  user_id Nullable(String),
  timestamp DateTime64(3, 'UTC'),
  received_at DateTime64(3, 'UTC'),
  source LowCardinality(String),
  properties String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (account_id, event, timestamp, message_id);
