-- The kinds of fact a score reads only the latest of (subscription, seats, the segment an account_updated
-- carries, the CSM's last touch), one row per account, kind and month: that month's latest fact, whole. A
-- scoring pass reads them from account_facts only for the last month or two and takes older months from here,
-- so its read no longer grows with an account's age (two years of a busy account: ~1,600 facts a pass read
-- for these kinds, 24 rows here). The rows are facts as stored, not aggregate states: a month's rows before
-- their merge are all real facts, and the reader's argMax and max over them give what they give over every
-- fact of the month, so no FINAL is needed. The view reads what account_facts receives (a view on a view's
-- table runs on each block written to it), so the list of kinds kept lives in migration 008.
CREATE TABLE IF NOT EXISTS account_latest_facts (
  account_id String,
  event LowCardinality(String),
  month Date,
  timestamp DateTime64(3, 'UTC'),
  message_id String,
  properties String
) ENGINE = ReplacingMergeTree(timestamp)
ORDER BY (account_id, event, month);

CREATE MATERIALIZED VIEW IF NOT EXISTS account_latest_facts_mv TO account_latest_facts AS
SELECT account_id, event, month, latest.1 AS timestamp, latest.2 AS message_id, latest.3 AS properties FROM (SELECT account_id, event, toStartOfMonth(timestamp) AS month, argMax(tuple(timestamp, message_id, properties), timestamp) AS latest FROM account_facts WHERE event IN ('subscription_updated', 'seats_updated', 'csm_activity_logged') OR (event = 'account_updated' AND JSONExtractString(properties, 'segment') != '') GROUP BY account_id, event, month);

INSERT INTO account_latest_facts SELECT account_id, event, month, latest.1 AS timestamp, latest.2 AS message_id, latest.3 AS properties FROM (SELECT account_id, event, toStartOfMonth(timestamp) AS month, argMax(tuple(timestamp, message_id, properties), timestamp) AS latest FROM account_facts WHERE event IN ('subscription_updated', 'seats_updated', 'csm_activity_logged') OR (event = 'account_updated' AND JSONExtractString(properties, 'segment') != '') GROUP BY account_id, event, month);

OPTIMIZE TABLE account_latest_facts FINAL;
