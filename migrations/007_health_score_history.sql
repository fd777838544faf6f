-- Health scores from configurable scorecards. The first score table held a usage-only score of another
-- scale; it is kept, renamed, for whoever wants to compare.
RENAME TABLE health_scores TO health_scores_v1;

-- Every computed score with the measure values it came from (JSON), for trends, "days in Critical" and
-- back-dated reports. Components, drivers and the way to the next tier are a pure function of the measures
-- and the scorecard, so they are derived on read from the scorecard version stored beside the score. One row per account and as-of time: a re-processed job finds its row and writes none,
-- and the ReplacingMergeTree collapses a row a race wrote twice. Raw rows are kept 90 days; the daily table
-- below keeps each day's last score for two years.
CREATE TABLE IF NOT EXISTS health_scores (
  account_id String,
  as_of DateTime64(3, 'UTC'),
  computed_at DateTime64(3, 'UTC'),
  trigger LowCardinality(String),
  scorecard_version LowCardinality(String),
  segment LowCardinality(String),
  status LowCardinality(String),
  score Nullable(UInt8),
  smoothed Nullable(Float64),
  raw_score Nullable(Float64),
  tier LowCardinality(String),
  previous_tier LowCardinality(String),
  coverage Float32,
  missing Array(String),
  change_7d Nullable(Float32),
  change_30d Nullable(Float32),
  direction LowCardinality(String),
  measures String
) ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(as_of)
ORDER BY (account_id, as_of)
TTL toDateTime(as_of) + INTERVAL 90 DAY;

-- The latest score per account, which the next score smooths from and the API serves (read with FINAL).
CREATE TABLE IF NOT EXISTS health_scores_latest AS health_scores
ENGINE = ReplacingMergeTree(as_of)
ORDER BY account_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS health_scores_latest_mv TO health_scores_latest AS
SELECT * FROM health_scores;

-- Each day's last score per account: trends against 7 and 30 days ago, long histories, days in a tier.
CREATE TABLE IF NOT EXISTS health_scores_daily (
  account_id String,
  day Date,
  as_of DateTime64(3, 'UTC'),
  scorecard_version LowCardinality(String),
  status LowCardinality(String),
  score Nullable(UInt8),
  smoothed Nullable(Float64),
  tier LowCardinality(String),
  coverage Float32
) ENGINE = ReplacingMergeTree(as_of)
PARTITION BY toYYYYMM(day)
ORDER BY (account_id, day)
TTL day + INTERVAL 730 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS health_scores_daily_mv TO health_scores_daily AS
SELECT account_id, toDate(as_of) AS day, as_of, scorecard_version, status, score, smoothed, tier, coverage FROM health_scores;

-- Every scorecard version scores were computed with, so any stored score can be explained on read.
CREATE TABLE IF NOT EXISTS scorecards (
  version String,
  name String,
  source String,
  definition String,
  registered_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(registered_at)
ORDER BY version;
