/**
 * Reads the inputs of every measure as of a time, for a list of accounts or for all of them, in a few
 * set-based ClickHouse queries: usage from the daily rollup (`account_daily`) plus the raw events of the
 * as-of day up to the as-of time; support, survey, billing and subscription facts from the sparse events;
 * which sources the portfolio sends; the core features. Nothing after the as-of time is read, so a score
 * (and a churn snapshot) as of a past time sees exactly what was known then.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { readerOf, type ReadRows } from '../batched-rows.js'
import { chTime } from '../clickhouse-time.js'
import type { AccountInputs, PortfolioInputs } from './measure-values.js'
import type { SparsePlan } from './sparse-memo.js'

/**
 * Which accounts: the listed ones, every account seen by the as-of time, or a stable sample of them (a share
 * in (0, 1], by a hash of the account id: the same accounts at every as-of time and in every query).
 */
export type AccountSelection = { accountIds: string[] } | { all: true } | { sample: number }

/** The SQL condition (to follow a WHERE) and parameters that restrict a query to the selection. */
export function selectionFilter(selection: AccountSelection): { filter: string; params: { accountIds?: string[]; samplePerMillion?: number }; none: boolean } {
  if ('all' in selection) return { filter: '', params: {}, none: false }
  if ('sample' in selection) {
    const samplePerMillion = Math.round(selection.sample * 1_000_000)
    return { filter: 'AND cityHash64(account_id) % 1000000 < {samplePerMillion:UInt32}', params: { samplePerMillion }, none: samplePerMillion <= 0 }
  }
  return { filter: 'AND account_id IN {accountIds:Array(String)}', params: { accountIds: selection.accountIds }, none: !selection.accountIds.length }
}

/** The rollup's columns, computed for the as-of day from raw events; migration 019's view computes the same (a test holds them equal). */
export const USAGE_COLUMNS = `
  max(event IN ('user_login', 'feature_used')) AS active,
  groupUniqArrayIf(cityHash64(assumeNotNull(user_id)), event IN ('user_login', 'feature_used') AND user_id IS NOT NULL) AS active_users,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'user_login') AS logins,
  groupUniqArrayIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS features,
  uniqCombined64StateIf(12)(cityHash64(message_id), event = 'email_engaged') AS email_engagements`

// Every query below answers for a list of as-of times at once (`{asOfs}`: one for a score, a batch of churn
// snapshot dates for training), one row per account and as-of time: each row is copied by `arrayJoin` to
// the as-of times it counts for, so one scan serves them all.
const AS_OFS = "{asOfs:Array(DateTime64(3, 'UTC'))}"

// Complete days come from the rollup; the as-of day from the events themselves, up to the as-of time. A live
// read (as of now) takes the as-of day from the rollup too: the raw events since midnight grow all day (at
// 5,000 events/s, millions by the evening) while the rollup holds a row per account and day; the two differ
// only by events timestamped after now, which only producers' clock skew can store.
export const usageSql = (filter: string, live = false) => `
WITH toDate(t) AS d
SELECT
  account_id,
  toUnixTimestamp64Milli(t) AS asOf,
  uniqExactIf(day, active = 1 AND day > d - 7) AS activeDays7,
  uniqExactIf(day, active = 1 AND day > d - 30) AS activeDays30,
  uniqExactArrayIf(active_users, day > d - 30) AS activeUsers30,
  uniqCombined64MergeIf(12)(logins, day > d - 30) AS logins30,
  uniqExactArrayIf(active_users, day > d - 7) AS wau,
  uniqExactArrayIf(active_users, day > d - 35 AND day <= d - 28) AS wau4wAgo,
  groupUniqArrayArrayIf(features, day > d - 30) AS features30,
  uniqCombined64MergeIf(12)(email_engagements, day > d - 30) AS emailEngagements30
FROM (
  SELECT account_id, day, active, active_users, logins, features, email_engagements,
    arrayJoin(arrayFilter(x -> day > toDate(x) - 35 AND day ${live ? '<=' : '<'} toDate(x), ${AS_OFS})) AS t
  FROM account_daily
  WHERE day > toDate(arrayMin(${AS_OFS})) - 35 AND day <= toDate(arrayMax(${AS_OFS})) ${filter}
  ${live ? '' : `UNION ALL
  SELECT account_id, toDate(timestamp) AS day, ${USAGE_COLUMNS}, t
  FROM (
    SELECT *, arrayJoin(arrayFilter(x -> timestamp >= toStartOfDay(x) AND timestamp <= x, ${AS_OFS})) AS t
    FROM events
    WHERE timestamp >= toStartOfDay(arrayMin(${AS_OFS})) AND timestamp <= arrayMax(${AS_OFS}) ${filter}
  )
  GROUP BY account_id, day, t`}
)
GROUP BY account_id, t`

// The events `account_facts` keeps (migration 008; a test holds the lists equal).
export const SPARSE_EVENTS = [
  'support_ticket_opened', 'support_ticket_escalated', 'support_ticket_resolved', 'csat_submitted', 'nps_submitted',
  'csm_activity_logged', 'invoice_paid', 'payment_failed', 'subscription_updated', 'seats_updated', 'account_updated',
]

// Each kind of fact is read back only as far as a pass needs it, so a pass's read no longer grows with an
// account's age: tickets opened and escalated within 30 days of the earliest as-of time, resolved tickets and
// CSAT answers 90, NPS answers 180 (the previous quarter's); seats, segment and CSM touch (only their latest
// counts) from the start of its month, subscriptions from the start of the month 30 days before it (mrr30Ago),
// invoices from the start of the month 90 days before it (failedThenPaid90, maxDaysLate90). Older months come
// from account_latest_facts (migration 020): their latest fact of each kind, of each invoice, every one older
// than what the measures count by time. As every branch bounds the time, account_facts' older monthly
// partitions are not read at all.
const LATEST_FACTS = "('seats_updated', 'csm_activity_logged', 'account_updated')"
const INVOICE_FACTS = "('invoice_paid', 'payment_failed')"
const monthBefore = (days: number) => `toDateTime64(toStartOfMonth(arrayMin(${AS_OFS}) - INTERVAL ${days} DAY), 3, 'UTC')`

/** The facts a pass reads, each kind as far back as its measures need (above); `sparseSql` over it gives what it gives over every fact (`everyFact`). */
export const factsRead = (filter: string) => `
  SELECT account_id, event, timestamp, message_id, properties
  FROM account_facts
  WHERE timestamp <= arrayMax(${AS_OFS}) ${filter} AND (
    (event IN ('support_ticket_opened', 'support_ticket_escalated') AND timestamp > arrayMin(${AS_OFS}) - INTERVAL 30 DAY)
    OR (event IN ('support_ticket_resolved', 'csat_submitted') AND timestamp > arrayMin(${AS_OFS}) - INTERVAL 90 DAY)
    OR (event = 'nps_submitted' AND timestamp > arrayMin(${AS_OFS}) - INTERVAL 180 DAY)
    OR (event IN ${LATEST_FACTS} AND timestamp >= ${monthBefore(0)})
    OR (event = 'subscription_updated' AND timestamp >= ${monthBefore(30)})
    OR (event IN ${INVOICE_FACTS} AND timestamp >= ${monthBefore(90)}))
  UNION ALL
  SELECT account_id, event, timestamp, message_id, properties
  FROM account_latest_facts
  WHERE month < multiIf(event IN ${INVOICE_FACTS}, ${monthBefore(90)}, event = 'subscription_updated', ${monthBefore(30)}, ${monthBefore(0)}) ${filter}`

/** Every fact up to the latest as-of time: what the bounded read must equal (test/integration/facts-read-bounded.test.ts). */
export const everyFact = (filter: string) => `
  SELECT account_id, event, timestamp, message_id, properties FROM account_facts WHERE timestamp <= arrayMax(${AS_OFS}) ${filter}`

// Counts are distinct message ids and the latest values argMax by time, so an event stored twice before
// the ReplacingMergeTree merges it counts once and FINAL is not needed. Each event's properties are parsed
// once, into one named tuple of every field read (absent fields take their type's default), rather than
// once per field and aggregate — and before the row is copied to its as-of times. Invoices are matched here
// (a failed one counts until an invoice_paid of the same id), so no list of ids travels to the caller.
//
// The only windows are these: every aggregate changes with time only where one of them crosses a fact (or a
// fact's own time is reached). With `nextChange`, each row also says when that first happens after its as-of
// time, for the memo of live passes (sparse-memo.ts); a test holds the windows and that list equal.
export const SPARSE_WINDOW_DAYS = [30, 90, 180] as const
const NEXT_CHANGE = `toUnixTimestamp64Milli(min(multiIf(${SPARSE_WINDOW_DAYS.map((d) => `timestamp > t${d}, timestamp + INTERVAL ${d} DAY`).join(', ')}, NULL))) AS nextChange`
export const sparseSql = (filter: string, facts = factsRead(filter), nextChange = false) => `
WITH t - INTERVAL 30 DAY AS t30, t - INTERVAL 90 DAY AS t90, t - INTERVAL 180 DAY AS t180,
  groupUniqArrayIf(p.invoiceId, event = 'invoice_paid') AS paid
SELECT
  account_id,
  toUnixTimestamp64Milli(t) AS asOf,
  uniqExactIf(message_id, event = 'support_ticket_opened' AND timestamp > t30) AS ticketsOpened30,
  uniqExactIf(message_id, event = 'support_ticket_opened' AND timestamp > t30 AND p.severity = 'P1') AS ticketsP1_30,
  uniqExactIf(message_id, event = 'support_ticket_opened' AND timestamp > t30 AND p.severity = 'P2') AS ticketsP2_30,
  uniqExactIf(message_id, event = 'support_ticket_escalated' AND timestamp > t30) AS escalations30,
  countIf(event = 'support_ticket_resolved' AND timestamp > t30) AS resolved30,
  medianExactIf(p.resolutionMinutes, event = 'support_ticket_resolved' AND timestamp > t30) AS medianResolutionMinutes30,
  countIf(event = 'support_ticket_resolved' AND timestamp > t30 AND p.sentiment = 'POSITIVE') AS positive30,
  countIf(event = 'support_ticket_resolved' AND timestamp > t30 AND p.sentiment = 'NEUTRAL') AS neutral30,
  countIf(event = 'support_ticket_resolved' AND timestamp > t30 AND p.sentiment = 'NEGATIVE') AS negative30,
  countIf(csat BETWEEN 1 AND 5 AND timestamp > t90) AS csatCount90,
  sumIf(csat, csat BETWEEN 1 AND 5 AND timestamp > t90) AS csatSum90,
  countIf(csat BETWEEN 1 AND 2 AND timestamp > t30) AS csatLow30,
  countIf(csat BETWEEN 4 AND 5 AND timestamp > t30) AS csatHigh30,
  countIf(event = 'nps_submitted' AND timestamp > t90) AS npsCount90,
  countIf(event = 'nps_submitted' AND timestamp > t90 AND p.score >= 9) AS npsPromoters90,
  countIf(event = 'nps_submitted' AND timestamp > t90 AND p.score <= 6) AS npsDetractors90,
  countIf(event = 'nps_submitted' AND timestamp > t180 AND timestamp <= t90) AS npsCountPrev,
  countIf(event = 'nps_submitted' AND timestamp > t180 AND timestamp <= t90 AND p.score >= 9) AS npsPromotersPrev,
  countIf(event = 'nps_submitted' AND timestamp > t180 AND timestamp <= t90 AND p.score <= 6) AS npsDetractorsPrev,
  toUnixTimestamp64Milli(maxIf(timestamp, event = 'csm_activity_logged')) AS lastCsmTouch,
  length(arrayFilter(i -> NOT has(paid, i), groupUniqArrayIf(p.invoiceId, event = 'payment_failed'))) AS unpaidInvoices,
  length(arrayFilter(i -> NOT has(paid, i), groupUniqArrayIf(p.invoiceId, event = 'payment_failed' AND p.nextRetryAt IS NULL))) AS exhaustedInvoices,
  arrayExists(i -> has(paid, i), groupUniqArrayIf(p.invoiceId, event = 'payment_failed' AND timestamp > t90)) AS failedThenPaid90,
  maxIf(p.daysLate, event = 'invoice_paid' AND timestamp > t90) AS maxDaysLate90,
  max(event = 'subscription_updated') AS hasSubscription,
  argMaxIf(tuple(p.mrrCents, p.renewalDate, p.status), timestamp, event = 'subscription_updated') AS subscription,
  max(event = 'subscription_updated' AND timestamp <= t30) AS hasSubscription30Ago,
  argMaxIf(p.mrrCents, timestamp, event = 'subscription_updated' AND timestamp <= t30) AS mrr30Ago,
  max(event = 'seats_updated') AS hasSeats,
  argMaxIf(tuple(p.seatsPurchased, p.seatsActive), timestamp, event = 'seats_updated') AS seats,
  argMaxIf(p.segment, timestamp, event = 'account_updated' AND p.segment != '') AS segment${nextChange ? `,\n  ${NEXT_CHANGE}` : ''}
FROM (
  SELECT *, arrayJoin(arrayFilter(x -> x >= timestamp, ${AS_OFS})) AS t
  FROM (
    SELECT account_id, event, timestamp, message_id,
      JSONExtract(properties, 'Tuple(severity String, sentiment String, csat Int64, score Int64, resolutionMinutes Int64, invoiceId String, nextRetryAt Nullable(Int64), daysLate Int64, mrrCents Int64, renewalDate Int64, status String, seatsPurchased Int64, seatsActive Int64, segment String)') AS p,
      multiIf(event = 'csat_submitted', p.score, event = 'support_ticket_resolved', p.csat, 0) AS csat
    FROM (${facts})
  )
)
GROUP BY account_id, t`

// Accounts exist from their first event; the profile's first_seen is kept by a materialized view. Read once
// for the latest as-of time; which accounts existed at each earlier one is decided by the caller.
export const accountsSql = (filter: string) => `
SELECT account_id, toUnixTimestamp64Milli(min(first_seen)) AS firstSeen
FROM account_profile_state
WHERE 1 ${filter}
GROUP BY account_id
HAVING min(first_seen) <= arrayMax(${AS_OFS})`

// The as-of day counts only when the as-of time is past its midnight: a snapshot at midnight (churn training)
// must not learn of a source from events of the day after it.
export const SOURCES_SQL = `
WITH {asOf:DateTime64(3, 'UTC')} AS t, toDate(t) AS d
SELECT groupUniqArray(event) AS events FROM event_kinds_daily
WHERE day > d - 180 AND (day < d OR (day = d AND t > toStartOfDay(t)))`

// The features most accounts used over the 30 complete days before the as-of day: stable for a whole day.
const CORE_FEATURES_SQL = `
SELECT feature FROM (
  SELECT account_id, groupUniqArrayArray(features) AS used
  FROM account_daily
  WHERE day >= toDate({asOf:DateTime64(3, 'UTC')}) - 30 AND day < toDate({asOf:DateTime64(3, 'UTC')})
  GROUP BY account_id
)
ARRAY JOIN used AS feature
GROUP BY feature
ORDER BY count() DESC, feature
LIMIT {limit:UInt32}`

/**
 * `live`: the as-of time is now, and every event stored so far is read (see usageSql). Otherwise nothing
 * timestamped after the as-of time is, for scores and snapshots as of a past time.
 */
export async function readAccountInputs(
  clickhouse: ClickHouseClient,
  selection: AccountSelection,
  asOf: Date,
  live = false,
  read: ReadRows = readerOf(clickhouse),
  sparsePlan?: SparsePlan | Promise<SparsePlan>,
): Promise<AccountInputs[]> {
  return (await readAccountInputsAt(clickhouse, selection, [asOf.getTime()], live, read, sparsePlan)).get(asOf.getTime()) ?? []
}

/**
 * Every selected account's inputs at each of several as-of times (epoch ms), in one pass over the tables
 * rather than one per time: churn training reads its weekly snapshots in batches this way. With a
 * `sparsePlan` (one as-of time, its own), the facts aggregates of the accounts it holds are taken from it and
 * only the others' are read.
 */
export async function readAccountInputsAt(
  clickhouse: ClickHouseClient,
  selection: AccountSelection,
  asOfs: number[],
  live = false,
  read: ReadRows = readerOf(clickhouse),
  sparsePlan?: SparsePlan | Promise<SparsePlan>,
): Promise<Map<number, AccountInputs[]>> {
  const { filter, params: ids, none } = selectionFilter(selection)
  const out = new Map<number, AccountInputs[]>(asOfs.map((t) => [t, []]))
  if (none || !asOfs.length) return out
  if (live && asOfs.length > 1) throw new Error('a live read is as of now: one as-of time')
  if (sparsePlan && asOfs.length !== 1) throw new Error('a sparse plan serves the one as-of time it was made for')
  const params = { asOfs: asOfs.map((t) => chTime(new Date(t))), ...ids }
  const [accounts, usage, sparse] = await Promise.all([
    read<{ account_id: string; firstSeen: string }>(accountsSql(filter), params),
    read(usageSql(filter, live), params),
    sparsePlan ? readPlanned(sparsePlan, asOfs, read) : read(sparseSql(filter), params),
  ])
  const byTime = (rows: Record<string, any>[]) => {
    const m = new Map<number, Map<string, Record<string, any>>>(asOfs.map((t) => [t, new Map()]))
    for (const r of rows) m.get(Number(r.asOf))?.set(r.account_id, r)
    return m
  }
  const usageAt = byTime(usage)
  // A plan's rows are all as of its one time; those it held carry no as-of time of their own.
  const sparseAt = sparsePlan ? new Map([[asOfs[0], new Map(sparse.map((r) => [r.account_id as string, r]))]]) : byTime(sparse)
  for (const t of asOfs) {
    const list = out.get(t)!
    const usageOf = usageAt.get(t)!
    const sparseOf = sparseAt.get(t)!
    for (const a of accounts) {
      const firstSeen = Number(a.firstSeen)
      if (firstSeen <= t) list.push({ accountId: a.account_id, firstSeen, usage: usageOf.get(a.account_id), sparse: sparseOf.get(a.account_id) })
    }
  }
  return out
}

/** The aggregates a plan does not hold, read with when each next changes, kept, and added to those it holds. */
async function readPlanned(planned: SparsePlan | Promise<SparsePlan>, asOfs: number[], read: ReadRows): Promise<Record<string, any>[]> {
  const plan = await planned
  if (asOfs[0] !== plan.asOf) throw new Error('a sparse plan serves the one as-of time it was made for')
  if (!plan.toRead.length) return plan.held
  const { filter, params } = selectionFilter(plan.readAll ? { all: true } : { accountIds: plan.toRead })
  const rows = await read(sparseSql(filter, factsRead(filter), true), { asOfs: asOfs.map((t) => chTime(new Date(t))), ...params })
  plan.keep(rows)
  return plan.held.length ? [...rows, ...plan.held] : rows
}

/**
 * Reads what the whole portfolio contributes to every account's measures. The auto core features depend
 * only on complete days, so one answer serves every scoring pass of the as-of day: the reader keeps it,
 * rather than scanning 30 days of every account's usage for each burst of events.
 */
export function portfolioReader(clickhouse: ClickHouseClient): (asOf: Date, coreFeatures: string[] | { auto: number }, read?: ReadRows) => Promise<PortfolioInputs> {
  const plain = readerOf(clickhouse)
  const coreByDay = new Map<string, Promise<string[]>>()
  const autoCore = (asOf: Date, auto: number) => {
    const key = `${asOf.toISOString().slice(0, 10)}/${auto}`
    let core = coreByDay.get(key)
    if (!core) {
      // Kept for the day: read on its own, not as part of whichever pass first asks.
      core = plain<{ feature: string }>(CORE_FEATURES_SQL, { asOf: chTime(asOf), limit: auto }).then((r) => r.map((x) => x.feature))
      core.catch(() => coreByDay.delete(key))
      // A pass as of an earlier day (a back-dated score) may still ask; a week of days is plenty.
      if (coreByDay.size >= 7) coreByDay.delete(coreByDay.keys().next().value!)
      coreByDay.set(key, core)
    }
    return core
  }
  // Which sources the portfolio sends is read on every pass, not cached: a cached list made a source that
  // first arrived after the cache was filled count as "not sent", and the accounts scored meanwhile kept
  // scores without that component until their next event (the demo showed it).
  return async (asOf, coreFeatures, read = plain) => {
    const [[sources], core] = await Promise.all([
      read<{ events: string[] }>(SOURCES_SQL, { asOf: chTime(asOf) }),
      Array.isArray(coreFeatures) ? coreFeatures : autoCore(asOf, coreFeatures.auto),
    ])
    return { sources: new Set(sources?.events ?? []), coreFeatures: core }
  }
}
