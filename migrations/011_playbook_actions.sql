-- What fired rules asked for, stored by their key (one per episode, task and occurrence): a dispatch retried
-- after a crash writes the same key again and the merge keeps one. Tasks change status later, the latest
-- `updated_at` winning; read both with FINAL.
CREATE TABLE IF NOT EXISTS playbook_alerts (
  key String,
  rule_id LowCardinality(String),
  rule_name String,
  account_id String,
  subject String,
  severity LowCardinality(String),
  title String,
  why Array(String),
  recipient Nullable(String),
  recipient_role Nullable(String),
  channels Array(String),
  fired_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(fired_at)
ORDER BY key;

CREATE TABLE IF NOT EXISTS playbook_tasks (
  key String,
  rule_id LowCardinality(String),
  task_id String,
  occurrence UInt32,
  account_id String,
  title String,
  why Array(String),
  assignee Nullable(String),
  assignee_role String,
  status LowCardinality(String),
  opened_at DateTime64(3, 'UTC'),
  due_at DateTime64(3, 'UTC'),
  escalations String,
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (account_id, key);
