-- The tables of one row per account read one account at a time (the account 360, a page's loaders) store their
-- parts compact: every column of a part in one file rather than a file per column (ClickHouse writes parts
-- under 10 MB that way by default; a portfolio's profile state is larger). A lookup of one account then opens
-- and reads one file instead of one per column and subcolumn — the profile state has ~45 (its tuples' and
-- arrays' subcolumns). One account, 300 lookups each, 50,000 accounts (p50): profile state 9.2 → 4.1 ms,
-- latest score 5.2 → 3.5 ms, prediction 3.2 → 2.7 ms (docs/BENCHMARKS.md). The tables are small (a few bytes
-- to a few hundred per account) and scanned whole only for a portfolio's lists, which read most columns anyway.
-- Both bounds are set: a part under either is compact (the default leaves the row bound at 0). A merge kept an
-- existing wide part wide after ALTER … MODIFY SETTING (chDB 26.7: OPTIMIZE … FINAL rewrote it wide), so each
-- table is rebuilt as in 013: copied, swapped in by name, copied again for rows written in between, merged.

CREATE TABLE account_profile_state_rebuilt AS account_profile_state
ENGINE = AggregatingMergeTree ORDER BY account_id
SETTINGS index_granularity = 256, min_bytes_for_wide_part = 1099511627776, min_rows_for_wide_part = 1099511627776;
INSERT INTO account_profile_state_rebuilt SELECT * FROM account_profile_state;
EXCHANGE TABLES account_profile_state AND account_profile_state_rebuilt;
INSERT INTO account_profile_state SELECT * FROM account_profile_state_rebuilt;
OPTIMIZE TABLE account_profile_state FINAL;
DROP TABLE account_profile_state_rebuilt;

CREATE TABLE health_scores_latest_rebuilt AS health_scores_latest
ENGINE = ReplacingMergeTree(as_of) ORDER BY account_id
SETTINGS index_granularity = 256, min_bytes_for_wide_part = 1099511627776, min_rows_for_wide_part = 1099511627776;
INSERT INTO health_scores_latest_rebuilt SELECT * FROM health_scores_latest;
EXCHANGE TABLES health_scores_latest AND health_scores_latest_rebuilt;
INSERT INTO health_scores_latest SELECT * FROM health_scores_latest_rebuilt;
OPTIMIZE TABLE health_scores_latest FINAL;
DROP TABLE health_scores_latest_rebuilt;

CREATE TABLE churn_predictions_rebuilt AS churn_predictions
ENGINE = ReplacingMergeTree(computed_at) ORDER BY account_id
SETTINGS index_granularity = 256, min_bytes_for_wide_part = 1099511627776, min_rows_for_wide_part = 1099511627776;
INSERT INTO churn_predictions_rebuilt SELECT * FROM churn_predictions;
EXCHANGE TABLES churn_predictions AND churn_predictions_rebuilt;
INSERT INTO churn_predictions SELECT * FROM churn_predictions_rebuilt;
OPTIMIZE TABLE churn_predictions FINAL;
DROP TABLE churn_predictions_rebuilt;
