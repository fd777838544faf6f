-- The `account_profiles` view reads the profile state with FINAL instead of aggregating it with GROUP BY: every
-- column of `account_profile_state` is a SimpleAggregateFunction, so the engine's merge of an account's rows
-- gives the row the aggregates gave, and a query that needs a few columns reads and finishes only those (the
-- GROUP BY computed every column's aggregate, ticket and invoice sets included, whatever was asked). 50,000
-- accounts, p50: the 100 largest by MRR 102 → 22 ms, every account's segment and CSM 171 → 93 ms
-- (docs/BENCHMARKS.md). Same columns, names and types (test/integration/account-profiles.test.ts).
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
  if(csat.1 = never, NULL, csat.2) AS latest_csat,
  arrayFilter(t -> NOT has(tickets_resolved, t.1), tickets_opened) AS open_tickets,
  arrayDistinct(arrayFilter(i -> NOT has(invoices_paid, i), invoices_failed)) AS unpaid_invoices
FROM account_profile_state FINAL;
