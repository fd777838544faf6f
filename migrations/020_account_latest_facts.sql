-- What a score reads of an account's older months, one fact per account, kind, month and invoice: that
-- month's latest subscription, seat count, segment-carrying account_updated and CSM touch, and its latest
-- payment and failure of each invoice (a failure with retries left and one without kept apart). A scoring pass
-- reads these kinds from account_facts only back to the start of its earliest as-of time's month (of the
-- month 30 days before it for subscriptions, 90 for invoices) and older months from here, so its read no
-- longer grows with an account's age (two years of a busy account: ~1,600 facts of these kinds, ~200 rows
-- here), and account_facts' older monthly partitions are not read at all. The rows are facts as stored, not
-- aggregate states: before a merge a month may hold several of its later facts, all real, and what the reader
-- takes of them (the latest by time, the set of invoice ids, any failure without retries) is what it takes of
-- every fact of the month, so no FINAL is needed. Two facts of a kind at the same millisecond have no latest:
-- either may be kept, as either may win an argMax. The view reads the blocks account_facts receives (a view
-- on a view's target table runs on each of them).
CREATE TABLE IF NOT EXISTS account_latest_facts (
  account_id String,
  event LowCardinality(String),
  month Date,
  invoice String,
  retries_exhausted UInt8,
  timestamp DateTime64(3, 'UTC'),
  message_id String,
  properties String
) ENGINE = ReplacingMergeTree(timestamp)
ORDER BY (account_id, event, month, invoice, retries_exhausted);

CREATE MATERIALIZED VIEW IF NOT EXISTS account_latest_facts_mv TO account_latest_facts AS
SELECT account_id, event, month, invoice, retries_exhausted, latest.1 AS timestamp, latest.2 AS message_id, latest.3 AS properties FROM (SELECT account_id, event, toStartOfMonth(timestamp) AS month, if(event IN ('invoice_paid', 'payment_failed'), JSONExtract(properties, 'invoiceId', 'String'), '') AS invoice, event = 'payment_failed' AND JSONExtract(properties, 'nextRetryAt', 'Nullable(Int64)') IS NULL AS retries_exhausted, argMax(tuple(timestamp, message_id, properties), timestamp) AS latest FROM account_facts WHERE event IN ('subscription_updated', 'seats_updated', 'csm_activity_logged', 'invoice_paid', 'payment_failed') OR (event = 'account_updated' AND JSONExtractString(properties, 'segment') != '') GROUP BY account_id, event, month, invoice, retries_exhausted);

INSERT INTO account_latest_facts SELECT account_id, event, month, invoice, retries_exhausted, latest.1 AS timestamp, latest.2 AS message_id, latest.3 AS properties FROM (SELECT account_id, event, toStartOfMonth(timestamp) AS month, if(event IN ('invoice_paid', 'payment_failed'), JSONExtract(properties, 'invoiceId', 'String'), '') AS invoice, event = 'payment_failed' AND JSONExtract(properties, 'nextRetryAt', 'Nullable(Int64)') IS NULL AS retries_exhausted, argMax(tuple(timestamp, message_id, properties), timestamp) AS latest FROM account_facts WHERE event IN ('subscription_updated', 'seats_updated', 'csm_activity_logged', 'invoice_paid', 'payment_failed') OR (event = 'account_updated' AND JSONExtractString(properties, 'segment') != '') GROUP BY account_id, event, month, invoice, retries_exhausted);

OPTIMIZE TABLE account_latest_facts FINAL;
