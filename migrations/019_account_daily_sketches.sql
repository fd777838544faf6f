-- Logins and email engagements in the daily rollup become uniqCombined64(12) sketches instead of arrays of
-- every message id's hash (018). An array grows with every login of the day, and every scoring pass reads its
-- account's day in full: at 5,000 events/s an account's row of the day held ~1,000 hashes after ten minutes and
-- would hold ~150,000 by midnight, and the scoring passes' usage read (and with it event -> score) grew all
-- day (docs/BENCHMARKS.md, 2026-12-06). A sketch stays under ~3 KB whatever the day holds and, like the
-- arrays, counts an event stored twice once (merging is a union). It is exact up to 127 distinct ids in what
-- it merges (an account's day, or its 30 days) and beyond that within ~1.6 % (standard error of HyperLogLog
-- with 2^12 cells); 12 is the smallest precision ClickHouse allows, and the cheapest to read (3,291 bytes
-- serialized at most, against 8 bytes a login for the arrays). A count per day would be exact and cheaper
-- still, but would count twice what is stored twice (a processor replaying a batch with other bounds after
-- a crash, a DLQ replay, an import run again) and could not be rebuilt the way this migration is (its
-- second fill repeats events).
--
-- Distinct users and features stay arrays: they grow with the account's users and features, not its day.
-- The table is rebuilt from `events` as 018 did it: filled, swapped in by name, its view replaced, filled
-- once more from the events stored since the first fill began. Every column merges idempotently (max, set
-- union, sketch union), so what the second fill repeats changes no count.
CREATE TABLE account_daily_rebuild_began ENGINE = Memory AS SELECT now64(3) AS at;

CREATE TABLE account_daily_rebuilt (
  account_id String,
  day Date,
  active SimpleAggregateFunction(max, UInt8),
  active_users SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)),
  logins AggregateFunction(uniqCombined64(12), UInt64),
  features SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
  email_engagements AggregateFunction(uniqCombined64(12), UInt64)
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
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'email_engaged') AS email_engagements
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
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'email_engaged') AS email_engagements
FROM events
GROUP BY account_id, day;

INSERT INTO account_daily
SELECT
  account_id,
  toDate(timestamp) AS day,
  max(event IN ('user_login', 'feature_used')) AS active,
  groupUniqArrayIf(cityHash64(assumeNotNull(user_id)), event IN ('user_login', 'feature_used') AND user_id IS NOT NULL) AS active_users,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'email_engaged') AS email_engagements
FROM events
WHERE stored_at >= (SELECT at FROM account_daily_rebuild_began) - INTERVAL 1 MINUTE
GROUP BY account_id, day;

OPTIMIZE TABLE account_daily FINAL;
DROP TABLE account_daily_rebuilt;
DROP TABLE account_daily_rebuild_began;
