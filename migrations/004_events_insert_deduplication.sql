-- Remember the last 10000 insert blocks of `events`, so that a batch the processor inserts again after a
-- crash (same insert_deduplication_token) is dropped at insert time instead of waiting for a merge.
ALTER TABLE events MODIFY SETTING non_replicated_deduplication_window = 10000;
