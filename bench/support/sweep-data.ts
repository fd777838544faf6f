/** The data set bench/sweep.ts loads and keeps in `BENCH_DATA_DIR`, which other benches reuse. */
import fs from 'node:fs'
import path from 'node:path'
import { chTime } from '../../processors/clickhouse-time.js'
import type { ClickHouseClient } from '../../runtime/clickhouse.js'

/** The file bench/sweep.ts writes once its events are loaded: the epoch ms they were loaded as of. */
export const loadedAtFile = (dataDir: string) => path.join(dataDir, 'loaded-at')

/** The loaded data set named by `BENCH_DATA_DIR`; exits with how to load one when there is none. */
export function sweepDataSet(): { dataDir: string; loadedAt: number } {
  const dataDir = process.env.BENCH_DATA_DIR
  if (!dataDir || !fs.existsSync(loadedAtFile(dataDir))) {
    console.error('BENCH_DATA_DIR must name a data set loaded by bench/sweep.ts (e.g. BENCH_DATA_DIR=/tmp/sweepdata node --import tsx bench/sweep.ts 50000 10000000 1)')
    process.exit(2)
  }
  return { dataDir, loadedAt: Number(fs.readFileSync(loadedAtFile(dataDir), 'utf8')) }
}

/** The kinds of event generated, in the order of a mix's cuts. */
const EVENT_KINDS = [
  'user_login', 'feature_used', 'email_engaged', 'support_ticket_opened', 'support_ticket_resolved', 'support_ticket_escalated', 'nps_submitted',
  'csat_submitted', 'invoice_paid', 'payment_failed', 'subscription_updated', 'seats_updated', 'csm_activity_logged', 'account_updated',
]

/**
 * How many events in 10,000 are of each kind, as cumulative cuts in EVENT_KINDS' order (the last kind takes
 * the rest). The sweep's mix gives every account a share of each kind with few events per account, so every
 * component has data: 4 % sparse events (support, surveys, billing…), 40 % logins.
 */
export const SWEEP_MIX = [4000, 9300, 9600, 9700, 9770, 9790, 9820, 9850, 9900, 9910, 9930, 9960, 9980]

// EVENT_KINDS starts with the usage kinds (logins, features, emails); every later kind is a sparse fact.
const USAGE_KINDS = 3

/** The sparse kinds of a mix alone, in its proportions (the usage kinds never drawn). */
export function sparseOnly(mix: number[]): number[] {
  const usage = mix[USAGE_KINDS - 1]
  return mix.map((cut, i) => (i < USAGE_KINDS ? 0 : Math.round(((cut - usage) * 10_000) / (10_000 - usage))))
}

/** The share of a mix's events that are sparse kinds. */
export const sparseShare = (mix: number[]) => (10_000 - mix[USAGE_KINDS - 1]) / 10_000

/**
 * A month of a busy account as customers send it (~10,000 events a month, 25 users): logins 12 %, features
 * used 85.5 %, emails 1.4 %; 15 tickets opened, 3 NPS and 10 CSAT answers, 3 invoices, a seat count twice a
 * day, 6 CSM touches in a month — ~1 % sparse events. The freshness bench's history (BENCH_HISTORY).
 */
export const BUSY_ACCOUNT_MIX = [1200, 9750, 9890, 9905, 9917, 9919, 9922, 9932, 9935, 9936, 9937, 9990, 9996]

// Event kinds in a mix's proportions.
const GENERATE_EVENTS = `
INSERT INTO events (message_id, event, schema_id, account_id, user_id, timestamp, received_at, source, properties)
WITH [${EVENT_KINDS.map((k) => `'${k}'`).join(', ')}] AS EVENT_KINDS
SELECT
  concat('m', toString(number)) AS message_id,
  EVENT_KINDS[indexOf(arrayMap(cut -> r < cut, {cuts:Array(UInt16)}), 1)] AS event,
  1 AS schema_id,
  concat('acct_', toString(number % {accounts:UInt32})) AS account_id,
  if(event IN ('user_login', 'feature_used'), concat('u_', toString(number % {accounts:UInt32}), '_', toString(cityHash64(number, 1) % 25)), NULL) AS user_id,
  -- Accounts fade differently: a third active to the end, a third quiet for the last week, a third for the last 3 weeks.
  -- Or, with {olderMs} > 0, spread evenly over the olderMs before those 30 days (older facts, BENCH_HISTORY_MONTHS).
  {t:DateTime64(3, 'UTC')} - toIntervalMillisecond(if({olderMs:UInt64} = 0, multiIf(number % 3 = 0, 0, number % 3 = 1, 7 * 86400000, 21 * 86400000) + cityHash64(number, 2) % (9 * 86400000 + if(number % 3 = 0, 21 * 86400000, 0)), 30 * 86400000 + cityHash64(number, 2) % greatest({olderMs:UInt64}, 1))) AS timestamp,
  timestamp AS received_at,
  '/bench' AS source,
  multiIf(
    event = 'feature_used', concat('{"feature":"f', toString(cityHash64(number, 3) % 12), '","durationMs":null}'),
    event = 'user_login', '{"method":"SSO","mfa":false}',
    event = 'support_ticket_opened', concat('{"ticketId":"T', toString(number), '","severity":"', ['P1','P2','P3','P4'][1 + cityHash64(number, 4) % 4], '","channel":"EMAIL"}'),
    event = 'support_ticket_resolved', concat('{"ticketId":"T', toString(number), '","resolutionMinutes":', toString(cityHash64(number, 5) % 3000), ',"csat":', toString(1 + cityHash64(number, 6) % 5), ',"sentiment":"', ['POSITIVE','NEUTRAL','NEGATIVE'][1 + cityHash64(number, 7) % 3], '"}'),
    event = 'nps_submitted', concat('{"score":', toString(cityHash64(number, 8) % 11), '}'),
    event = 'csat_submitted', concat('{"score":', toString(1 + cityHash64(number, 9) % 5), '}'),
    event = 'invoice_paid', concat('{"invoiceId":"in', toString(number % 997), '","amountCents":10000,"currency":"USD","daysLate":', toString(cityHash64(number, 10) % 20), '}'),
    event = 'payment_failed', concat('{"invoiceId":"in', toString(number % 991), '","amountCents":10000,"currency":"USD","nextRetryAt":null}'),
    event = 'subscription_updated', concat('{"plan":"pro","mrrCents":', toString(10000 + cityHash64(number, 11) % 90000), ',"currency":"USD","termMonths":12,"renewalDate":', toString(intDiv({tMs:UInt64}, 86400000) + cityHash64(number, 12) % 365), ',"autoRenew":true,"status":"ACTIVE"}'),
    event = 'seats_updated', concat('{"seatsPurchased":', toString(10 + cityHash64(number, 13) % 40), ',"seatsActive":', toString(cityHash64(number, 14) % 25), '}'),
    event = 'csm_activity_logged', '{"activity":"CALL","csmId":"csm_1"}',
    event = 'account_updated', concat('{"name":"Account","segment":"', ['ENTERPRISE','MID_MARKET','SMB'][1 + cityHash64(number, 15) % 3], '"}'),
    '{"emailId":"e","engagement":"OPEN"}') AS properties
FROM (SELECT number, cityHash64(number, 0) % 10000 AS r FROM numbers({from:UInt64}, {count:UInt64}))`

/**
 * Inserts events `from` … `total` − 1 of the data set straight into `events` (the materialized views follow as
 * for the processor's inserts), in chunks of a million: accounts `acct_0` … `acct_{accounts − 1}`, spread over
 * the 30 days before `loadedAt` (to a minute before it), or evenly over the `olderMs` before those 30 days.
 */
export async function generateEvents(
  clickhouse: ClickHouseClient,
  { accounts, total, loadedAt, from = 0, mix = SWEEP_MIX, olderMs = 0 }: { accounts: number; total: number; loadedAt: number; from?: number; mix?: number[]; olderMs?: number },
  progress: (inserted: number) => void = () => {},
): Promise<void> {
  const CHUNK = 1_000_000
  for (let at = from; at < total; at += CHUNK) {
    await clickhouse.command({
      query: GENERATE_EVENTS,
      query_params: { accounts, cuts: [...mix, 10_000], t: chTime(new Date(loadedAt - 60_000)), tMs: loadedAt, from: at, count: Math.min(CHUNK, total - at), olderMs },
    })
    progress(Math.min(total, at + CHUNK))
  }
}
