-- A fingerprint of each account's facts, so a live scoring pass can tell which accounts' facts are unchanged
-- since it last aggregated them and reuse that result (processors/scoring/sparse-memo.ts) instead of reading
-- and aggregating every account's facts again on every pass (~400 rows an account at two years old, most of a
-- pass's read). A projection rather than a counter kept by a view: a projection is written inside the very
-- part it describes, so a fingerprint read before the facts never counts a fact the facts read cannot see,
-- whereas a view's target commits its own part, apart from the source's. The fingerprint is the row count and
-- the sum of the rows' hashes: any fact stored changes it; a merge that collapses duplicates or replaces a
-- month's latest fact changes it too, which only costs one re-read. `rebuild` keeps the projection exact
-- through those merges (a ReplacingMergeTree refuses projections without a mode). The existing parts gain the
-- projections in a background mutation (`mutations_sync = 0`: chDB waits by default) rather than while Pulse
-- waits to start: 11 s for two years of 1,000 busy accounts. Until a part has it, a fingerprint read reads
-- that part's rows, with the same result.
ALTER TABLE account_facts MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE account_facts ADD PROJECTION IF NOT EXISTS account_fingerprint (SELECT account_id, count(), sum(cityHash64(message_id, timestamp, properties)) GROUP BY account_id);

ALTER TABLE account_facts MATERIALIZE PROJECTION account_fingerprint SETTINGS mutations_sync = 0;

-- By month: a pass reads only months before the current one from here, so the current month's rows, replaced
-- as its latest facts arrive, are left out of the fingerprint.
ALTER TABLE account_latest_facts MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE account_latest_facts ADD PROJECTION IF NOT EXISTS account_month_fingerprint (SELECT account_id, month, count(), sum(cityHash64(message_id, timestamp, properties)) GROUP BY account_id, month);

ALTER TABLE account_latest_facts MATERIALIZE PROJECTION account_month_fingerprint SETTINGS mutations_sync = 0;
