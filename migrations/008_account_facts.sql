-- The sparse events a health score reads (support, surveys, billing, subscription, seats, CSM touches,
-- account traits), apart from the usage events that are nearly all of the volume. A scoring pass reads a few
-- rows per account here instead of the key columns of every event of the accounts it scores, a cost that
-- otherwise grows with every event stored. Same key and engine as `events`: an event stored twice collapses
-- on merge, and readers count distinct message ids.
CREATE TABLE IF NOT EXISTS account_facts (
  message_id String,
  event LowCardinality(String),
  account_id String,
  timestamp DateTime64(3, 'UTC'),
  properties String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (account_id, event, timestamp, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS account_facts_mv TO account_facts AS
SELECT message_id, event, account_id, timestamp, properties FROM events WHERE event IN ('support_ticket_opened', 'support_ticket_escalated', 'support_ticket_resolved', 'csat_submitted', 'nps_submitted', 'csm_activity_logged', 'invoice_paid', 'payment_failed', 'subscription_updated', 'seats_updated', 'account_updated');

INSERT INTO account_facts SELECT message_id, event, account_id, timestamp, properties FROM events WHERE event IN ('support_ticket_opened', 'support_ticket_escalated', 'support_ticket_resolved', 'csat_submitted', 'nps_submitted', 'csm_activity_logged', 'invoice_paid', 'payment_failed', 'subscription_updated', 'seats_updated', 'account_updated');
