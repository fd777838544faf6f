-- The account 360: one current profile per account, kept by a materialized view on `events`. Each "latest"
-- field is a max over (time, value…) tuples, so the newest event wins whatever order events arrive in and
-- a duplicate changes nothing; ticket and invoice fields are sets, so open = opened − resolved holds under
-- duplicates too. Read it through the `account_profiles` view.
CREATE TABLE IF NOT EXISTS account_profile_state (
  account_id String,
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  last_activity SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  name SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  segment SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  industry SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  csm_id SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  country SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  signup_date SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), Int32)),
  subscription SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String, Int64, String, Int32, Int32, UInt8, String)),
  seats SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), Int32, Int32)),
  canceled_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  csm_touch SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String)),
  nps SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), Int32)),
  csat SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), Int32)),
  tickets_opened SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(String, String))),
  tickets_resolved SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
  invoices_failed SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
  invoices_paid SimpleAggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = AggregatingMergeTree
ORDER BY account_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS account_profile_mv TO account_profile_state AS
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
    (timestamp, toInt32(if(event = 'csat_submitted', JSONExtractInt(properties, 'score'), JSONExtractInt(properties, 'csat')))), (never, toInt32(0)))) AS csat,
  groupUniqArrayArray(if(event = 'support_ticket_opened', [(JSONExtractString(properties, 'ticketId'), JSONExtractString(properties, 'severity'))], [])) AS tickets_opened,
  groupUniqArrayArray(if(event = 'support_ticket_resolved', [JSONExtractString(properties, 'ticketId')], [])) AS tickets_resolved,
  groupUniqArrayArray(if(event = 'payment_failed', [JSONExtractString(properties, 'invoiceId')], [])) AS invoices_failed,
  groupUniqArrayArray(if(event = 'invoice_paid', [JSONExtractString(properties, 'invoiceId')], [])) AS invoices_paid
FROM events
GROUP BY account_id;

-- Profiles of the events stored before this migration.
INSERT INTO account_profile_state
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
    (timestamp, toInt32(if(event = 'csat_submitted', JSONExtractInt(properties, 'score'), JSONExtractInt(properties, 'csat')))), (never, toInt32(0)))) AS csat,
  groupUniqArrayArray(if(event = 'support_ticket_opened', [(JSONExtractString(properties, 'ticketId'), JSONExtractString(properties, 'severity'))], [])) AS tickets_opened,
  groupUniqArrayArray(if(event = 'support_ticket_resolved', [JSONExtractString(properties, 'ticketId')], [])) AS tickets_resolved,
  groupUniqArrayArray(if(event = 'payment_failed', [JSONExtractString(properties, 'invoiceId')], [])) AS invoices_failed,
  groupUniqArrayArray(if(event = 'invoice_paid', [JSONExtractString(properties, 'invoiceId')], [])) AS invoices_paid
FROM events
GROUP BY account_id;

CREATE VIEW IF NOT EXISTS account_profiles AS
WITH toDateTime64(0, 3, 'UTC') AS never
SELECT
  account_id,
  min(first_seen) AS first_seen,
  max(last_seen) AS last_seen,
  nullIf(max(last_activity), never) AS last_activity,
  nullIf(max(name).2, '') AS name,
  nullIf(max(segment).2, '') AS segment,
  nullIf(max(industry).2, '') AS industry,
  coalesce(nullIf(max(csm_id).2, ''), nullIf(max(csm_touch).2, '')) AS csm_id,
  nullIf(max(country).2, '') AS country,
  if(max(signup_date).1 = never, NULL, toDate32(max(signup_date).2)) AS signup_date,
  if(max(subscription).1 = never, NULL, max(subscription).2) AS plan,
  if(max(subscription).1 = never, NULL, max(subscription).3) AS mrr_cents,
  if(max(subscription).1 = never, NULL, max(subscription).4) AS currency,
  if(max(subscription).1 = never, NULL, max(subscription).5) AS term_months,
  if(max(subscription).1 = never, NULL, toDate32(max(subscription).6)) AS renewal_date,
  if(max(subscription).1 = never, NULL, max(subscription).7 = 1) AS auto_renew,
  if(max(subscription).1 = never, NULL, max(subscription).8) AS subscription_status,
  if(max(seats).1 = never, NULL, max(seats).2) AS seats_purchased,
  if(max(seats).1 = never, NULL, max(seats).3) AS seats_active,
  nullIf(max(canceled_at), never) AS canceled_at,
  nullIf(max(csm_touch).1, never) AS last_csm_touch,
  nullIf(max(csm_touch).2, '') AS last_csm_touch_by,
  if(max(nps).1 = never, NULL, max(nps).2) AS latest_nps,
  if(max(csat).1 = never, NULL, max(csat).2) AS latest_csat,
  arrayFilter(t -> NOT has(groupUniqArrayArray(tickets_resolved), t.1), groupUniqArrayArray(tickets_opened)) AS open_tickets,
  arrayDistinct(arrayFilter(i -> NOT has(groupUniqArrayArray(invoices_paid), i), groupUniqArrayArray(invoices_failed))) AS unpaid_invoices
FROM account_profile_state
GROUP BY account_id;
