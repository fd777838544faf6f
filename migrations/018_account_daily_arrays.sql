-- The daily rollup keeps its distinct users, logins, features and email engagements as plain arrays (a
-- SimpleAggregateFunction: merged rows take the union) instead of `uniq`/`groupUniqArray` states. A sweep
-- reads ~30 rows per account and 50,000 accounts: deserializing 1.5 M states of each column was most of its
-- usage read (three columns ~0.22 s each); the same counts over arrays read in about half the time, and are
-- exact (64-bit hashes of the ids, against `uniq`'s 32-bit ones). docs/BENCHMARKS.md, 2026-12-05.
--
-- The states cannot be turned back into ids, so the table is rebuilt from `events` (which keep every event):
-- filled, swapped in by name, its view replaced, then filled once more from the events stored since the first
-- fill began (`events.stored_at`, migration 014; a minute's margin). Every column merges idempotently (max,
-- set union), so what the second fill repeats changes no count.
CREATE TABLE account_daily_rebuild_began ENGINE = Memory AS SELECT now64(3) AS at;

CREATE TABLE account_daily_rebuilt (
  account_id String,
  day Date,
  active SimpleAggregateFunction(max, UInt8),
  active_users SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)),
  logins SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)),
  features SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
  email_engagements SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (account_id, day)
TTL day + INTERVAL 730 DAY;

INSERT INTO account_daily_rebuilt
SELECT
  account_id,
  toDate(timestamp) AS day,
  max(event IN ('user_login', 'feature_used')) AS active,
  groupUniqArrayIf(cityHash64(assumeNotNull(user_id)), event IN ('user_login', 'feature_used') AND user_id IS NOT NULL) AS active_users,
  groupUniqArrayIf(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  groupUniqArrayIf(cityHash64(message_id), event = 'email_engaged') AS email_engagements
FROM events
GROUP BY account_id, day;

DROP VIEW IF EXISTS account_daily_mv;

EXCHANGE TABLES account_daily AND account_daily_rebuilt;

CREATE MATERIALIZED VIEW account_daily_mv TO account_daily AS
SELECT
  account_id,
  toDate(timestamp) AS day,
  max(event IN ('user_login', 'feature_used')) AS active,
  groupUniqArrayIf(cityHash64(assumeNotNull(user_id)), event IN ('user_login', 'feature_used') AND user_id IS NOT NULL) AS active_users,
  groupUniqArrayIf(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  groupUniqArrayIf(cityHash64(message_id), event = 'email_engaged') AS email_engagements
FROM events
GROUP BY account_id, day;

INSERT INTO account_daily
SELECT
  account_id,
  toDate(timestamp) AS day,
  max(event IN ('user_login', 'feature_used')) AS active,
  groupUniqArrayIf(cityHash64(assumeNotNull(user_id)), event IN ('user_login', 'feature_used') AND user_id IS NOT NULL) AS active_users,
  groupUniqArrayIf(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  groupUniqArrayIf(cityHash64(message_id), event = 'email_engaged') AS email_engagements
FROM events
WHERE stored_at >= (SELECT at FROM account_daily_rebuild_began) - INTERVAL 1 MINUTE
GROUP BY account_id, day;

OPTIMIZE TABLE account_daily FINAL;
DROP TABLE account_daily_rebuilt;
DROP TABLE account_daily_rebuild_began;
