-- Scores are sent to this table, not to `health_scores`: each row carries its measures as a JSON array of
-- values in the order below, and the view writes the same `{"name":value,…}` text into `health_scores`
-- (whose own views, latest and daily, follow as before). A sweep sends 50,000 scores; the measures' names
-- were half the bytes the engine parsed (insert 1.7-1.9 s of a 5.7-7.5 s sweep, 0.8-0.9 s with the values
-- alone; docs/BENCHMARKS.md). The names live here because chDB takes them neither through INSERT … SELECT
-- FROM input() with inline rows nor through a custom setting. A change of the code's list of measures
-- (processors/scoring/measures.ts) needs a migration replacing this view; a test holds the two equal, and a
-- row of another length fails its insert (arrays of different sizes) rather than storing wrong names.
-- The columns of `health_scores` with the measures' values in place of the measures, taken from the table
-- itself rather than written out again.
CREATE TABLE IF NOT EXISTS health_scores_input ENGINE = Null AS
SELECT * EXCEPT (measures), '' AS measure_values FROM health_scores WHERE 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS health_scores_input_mv TO health_scores AS
SELECT * EXCEPT (measure_values),
  concat('{', arrayStringConcat(arrayMap((name, value) -> concat('"', name, '":', value),
    ['active_days_7d', 'active_days_30d', 'active_users_30d', 'logins_30d', 'adoption_rate',
    'weekly_active_users', 'wau_trend', 'distinct_features_30d', 'core_feature_share', 'tickets_opened_30d',
    'tickets_p1_30d', 'tickets_p2_30d', 'escalations_30d', 'median_resolution_hours_30d',
    'ticket_sentiment_30d', 'support_experience', 'csat_90d', 'nps_90d', 'nps_change_90d',
    'email_engagements_30d', 'days_since_csm_touch', 'payment_status', 'unpaid_failed_invoices',
    'days_late_90d', 'days_to_renewal', 'seat_utilization', 'mrr_change_30d', 'seats_purchased', 'seats_active',
    'core_features', 'core_features_used', 'mrr_cents', 'tenure_days'],
    JSONExtractArrayRaw(measure_values)), ','), '}') AS measures
FROM health_scores_input;
