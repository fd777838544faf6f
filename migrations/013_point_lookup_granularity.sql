-- Tables read one account at a time (the account 360, a page's loaders) are keyed by account_id alone, one row
-- per account: with ClickHouse's default granule of 8,192 rows a lookup of one account read and decoded 8,192
-- accounts' rows (a sixth of a 50,000-account portfolio; for the profile state, its tuples and arrays). Granules
-- of 256 rows: the profile read 14 → 10.5 ms, the latest score 7 → 4.3 ms, the prediction 5.7 → 3.1 ms (p50, one
-- account, 50,000 accounts); the 360's p99 −14 % (docs/BENCHMARKS.md). The granule size is fixed at CREATE, so
-- each table is rebuilt: copied, swapped in by name (their materialized views write by name, so they follow),
-- and copied once more from the old one, for rows written to it between the first copy and the swap. All three
-- engines merge a repeated row into the same result (max/min/set states; the latest by version), so the
-- second copy adds nothing but what the first missed; the table is then merged at once, or every FINAL read
-- would merge its two copies of each row until a background merge did (a page of accounts took 124 ms at p50
-- instead of ~80 right after the rebuild).

CREATE TABLE account_profile_state_rebuilt AS account_profile_state
ENGINE = AggregatingMergeTree ORDER BY account_id SETTINGS index_granularity = 256;
INSERT INTO account_profile_state_rebuilt SELECT * FROM account_profile_state;
EXCHANGE TABLES account_profile_state AND account_profile_state_rebuilt;
INSERT INTO account_profile_state SELECT * FROM account_profile_state_rebuilt;
OPTIMIZE TABLE account_profile_state FINAL;
DROP TABLE account_profile_state_rebuilt;

CREATE TABLE health_scores_latest_rebuilt AS health_scores_latest
ENGINE = ReplacingMergeTree(as_of) ORDER BY account_id SETTINGS index_granularity = 256;
INSERT INTO health_scores_latest_rebuilt SELECT * FROM health_scores_latest;
EXCHANGE TABLES health_scores_latest AND health_scores_latest_rebuilt;
INSERT INTO health_scores_latest SELECT * FROM health_scores_latest_rebuilt;
OPTIMIZE TABLE health_scores_latest FINAL;
DROP TABLE health_scores_latest_rebuilt;

CREATE TABLE churn_predictions_rebuilt AS churn_predictions
ENGINE = ReplacingMergeTree(computed_at) ORDER BY account_id SETTINGS index_granularity = 256;
INSERT INTO churn_predictions_rebuilt SELECT * FROM churn_predictions;
EXCHANGE TABLES churn_predictions AND churn_predictions_rebuilt;
INSERT INTO churn_predictions SELECT * FROM churn_predictions_rebuilt;
OPTIMIZE TABLE churn_predictions FINAL;
DROP TABLE churn_predictions_rebuilt;
