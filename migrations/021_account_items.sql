-- Tickets and invoices of the account 360 get a row each, out of the account's profile row. The profile state
-- kept every ticket and invoice id the account ever sent in four sets, so its row grew with the account's age,
-- and each merge of a new part (every insert of events writes one) rebuilt those sets: 1,000 accounts two
-- years old held 16.3 MB, and merging a 1,000-account part took 83–116 ms; without the sets, 0.21 MB and 5–17
-- ms (docs/BENCHMARKS.md). Here an item is a row keyed (account, kind, id), written only by ticket and invoice
-- events (~0.3 % of a busy account's). Each column is a max or a set, as in the profile state: an item is open
-- when it was opened (a ticket) or failed (an invoice) and never resolved or paid, in whatever order the events
-- came, and a duplicate changes nothing. Closed items stay, so this table still grows with age (dropping one
-- would let a late duplicate of its opening reopen it); it is partitioned by the events' month so that new
-- events merge only into their month's part. Unpartitioned, a merge into the whole table took 238–247 ms on
-- those accounts, and event → score at a subscriber was ~0.35 s slower at p95 than before this migration.
CREATE TABLE IF NOT EXISTS account_items (
  account_id String,
  kind Enum8('ticket' = 1, 'invoice' = 2),
  item String,
  -- The month of the events the row holds: an item opened in one month and closed in another keeps a row in
  -- each, merged when read (FINAL merges across partitions).
  month Date,
  -- The severities a ticket was opened with (one, unless it was opened again with another).
  severities SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
  -- A ticket opened; an invoice's payment failed.
  opened SimpleAggregateFunction(max, UInt8),
  -- A ticket resolved; an invoice paid.
  closed SimpleAggregateFunction(max, UInt8)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(month)
ORDER BY (account_id, kind, item)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS account_items_mv TO account_items AS
SELECT account_id, kind, item, month, groupUniqArrayArray(severities) AS severities, max(opened) AS opened, max(closed) AS closed FROM (SELECT account_id, if(event LIKE 'support_ticket_%', 'ticket', 'invoice') AS kind, JSONExtractString(properties, if(kind = 'ticket', 'ticketId', 'invoiceId')) AS item, toStartOfMonth(timestamp) AS month, if(event = 'support_ticket_opened', [JSONExtractString(properties, 'severity')], []) AS severities, toUInt8(event IN ('support_ticket_opened', 'payment_failed')) AS opened, toUInt8(event IN ('support_ticket_resolved', 'invoice_paid')) AS closed FROM events WHERE event IN ('support_ticket_opened', 'support_ticket_resolved', 'payment_failed', 'invoice_paid')) GROUP BY account_id, kind, item, month;

INSERT INTO account_items SELECT account_id, kind, item, month, groupUniqArrayArray(severities) AS severities, max(opened) AS opened, max(closed) AS closed FROM (SELECT account_id, if(event LIKE 'support_ticket_%', 'ticket', 'invoice') AS kind, JSONExtractString(properties, if(kind = 'ticket', 'ticketId', 'invoiceId')) AS item, toStartOfMonth(timestamp) AS month, if(event = 'support_ticket_opened', [JSONExtractString(properties, 'severity')], []) AS severities, toUInt8(event IN ('support_ticket_opened', 'payment_failed')) AS opened, toUInt8(event IN ('support_ticket_resolved', 'invoice_paid')) AS closed FROM events WHERE event IN ('support_ticket_opened', 'support_ticket_resolved', 'payment_failed', 'invoice_paid')) GROUP BY account_id, kind, item, month;

OPTIMIZE TABLE account_items FINAL;

-- The profile view keeps the profile's columns, read from its row alone: a list of every account's segment or
-- CSM must not merge every ticket and invoice (a join with these items, unused, cost ~7 ms on 1,000 accounts
-- two years old). The open items have a view of their own, one row per account that has any: tickets opened
-- and never resolved as (id, severity) pairs, invoices failed and never paid, as before.
CREATE OR REPLACE VIEW account_profiles AS
WITH toDateTime64(0, 3, 'UTC') AS never
SELECT
  account_id,
  first_seen AS first_seen,
  last_seen AS last_seen,
  nullIf(last_activity, never) AS last_activity,
  nullIf(name.2, '') AS name,
  nullIf(segment.2, '') AS segment,
  nullIf(industry.2, '') AS industry,
  coalesce(nullIf(csm_id.2, ''), nullIf(csm_touch.2, '')) AS csm_id,
  nullIf(country.2, '') AS country,
  if(signup_date.1 = never, NULL, toDate32(signup_date.2)) AS signup_date,
  if(subscription.1 = never, NULL, subscription.2) AS plan,
  if(subscription.1 = never, NULL, subscription.3) AS mrr_cents,
  if(subscription.1 = never, NULL, subscription.4) AS currency,
  if(subscription.1 = never, NULL, subscription.5) AS term_months,
  if(subscription.1 = never, NULL, toDate32(subscription.6)) AS renewal_date,
  if(subscription.1 = never, NULL, subscription.7 = 1) AS auto_renew,
  if(subscription.1 = never, NULL, subscription.8) AS subscription_status,
  if(seats.1 = never, NULL, seats.2) AS seats_purchased,
  if(seats.1 = never, NULL, seats.3) AS seats_active,
  nullIf(canceled_at, never) AS canceled_at,
  nullIf(csm_touch.1, never) AS last_csm_touch,
  nullIf(csm_touch.2, '') AS last_csm_touch_by,
  if(nps.1 = never, NULL, nps.2) AS latest_nps,
  if(csat.1 = never, NULL, csat.2) AS latest_csat
FROM account_profile_state FINAL;

CREATE VIEW IF NOT EXISTS account_open_items AS
SELECT account_id,
  arrayFlatten(groupArrayIf(arrayMap(severity -> (item, severity), severities), kind = 'ticket')) AS open_tickets,
  groupArrayIf(item, kind = 'invoice') AS unpaid_invoices
FROM account_items FINAL
WHERE opened = 1 AND closed = 0
GROUP BY account_id;

-- The profile's own view stops writing the sets, and they go.
CREATE MATERIALIZED VIEW IF NOT EXISTS account_profile_latest_mv TO account_profile_state AS
WITH toDateTime64(0, 3, 'UTC') AS never
SELECT
  account_id,
  min(timestamp) AS first_seen,
  max(timestamp) AS last_seen,
  max(if(event IN ('user_login', 'feature_used'), timestamp, never)) AS last_activity,
  max(if(event = 'account_updated', (timestamp, JSONExtractString(properties, 'name')), (never, ''))) AS name,
  max(if(event = 'account_updated' AND JSONExtractString(properties, 'segment') != '', (timestamp, JSONExtractString(properties, 'segment')), (never, ''))) AS segment,
  max(if(event = 'account_updated' AND JSONExtractString(properties, 'industry') != '', (timestamp, JSONExtractString(properties, 'industry')), (never, ''))) AS industry,
  max(if(event = 'account_updated' AND JSONExtractString(properties, 'csmId') != '', (timestamp, JSONExtractString(properties, 'csmId')), (never, ''))) AS csm_id,
  max(if(event = 'account_updated' AND JSONExtractString(properties, 'country') != '', (timestamp, JSONExtractString(properties, 'country')), (never, ''))) AS country,
  max(if(event = 'account_updated' AND JSONHas(properties, 'signupDate') AND JSONType(properties, 'signupDate') != 'Null', (timestamp, toInt32(JSONExtractInt(properties, 'signupDate'))), (never, toInt32(0)))) AS signup_date,
  max(if(event = 'subscription_updated',
    (timestamp, JSONExtractString(properties, 'plan'), JSONExtractInt(properties, 'mrrCents'), JSONExtractString(properties, 'currency'),
     toInt32(JSONExtractInt(properties, 'termMonths')), toInt32(JSONExtractInt(properties, 'renewalDate')), toUInt8(JSONExtractBool(properties, 'autoRenew')), JSONExtractString(properties, 'status')),
    (never, '', toInt64(0), '', toInt32(0), toInt32(0), toUInt8(0), ''))) AS subscription,
  max(if(event = 'seats_updated', (timestamp, toInt32(JSONExtractInt(properties, 'seatsPurchased')), toInt32(JSONExtractInt(properties, 'seatsActive'))), (never, toInt32(0), toInt32(0)))) AS seats,
  max(if(event = 'subscription_canceled' OR (event = 'subscription_updated' AND JSONExtractString(properties, 'status') = 'CANCELED'), timestamp, never)) AS canceled_at,
  max(if(event = 'csm_activity_logged', (timestamp, JSONExtractString(properties, 'csmId')), (never, ''))) AS csm_touch,
  max(if(event = 'nps_submitted', (timestamp, toInt32(JSONExtractInt(properties, 'score'))), (never, toInt32(0)))) AS nps,
  max(if(event = 'csat_submitted' OR (event = 'support_ticket_resolved' AND JSONExtractInt(properties, 'csat') > 0),
    (timestamp, toInt32(if(event = 'csat_submitted', JSONExtractInt(properties, 'score'), JSONExtractInt(properties, 'csat')))), (never, toInt32(0)))) AS csat
FROM events
GROUP BY account_id;

DROP VIEW IF EXISTS account_profile_mv;

ALTER TABLE account_profile_state DROP COLUMN IF EXISTS tickets_opened, DROP COLUMN IF EXISTS tickets_resolved, DROP COLUMN IF EXISTS invoices_failed, DROP COLUMN IF EXISTS invoices_paid;

OPTIMIZE TABLE account_profile_state FINAL;
