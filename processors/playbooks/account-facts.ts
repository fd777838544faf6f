import type { ClickHouseClient } from '@clickhouse/client'
import { batchedReader, readerOf } from '../batched-rows.js'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'
import type { AccountState } from './account-state.js'
import { conditionInputs } from './condition-inputs.js'
import type { Condition } from './rules.js'

const DAY = 86_400_000

/** What rules need of an account beyond its score record and measures: the times of what happened to it. */
export type PlaybookFacts = Pick<AccountState, 'csmId' | 'signupAt' | 'milestones' | 'featureLastUsed' | 'lastPaymentFailedAt' | 'lastP1TicketAt'>

/** Days of account_daily a feature's last use is looked for in: a day more than the window (the last use is
 * known to the day, and the window's start falls inside one); null, all time. */
function lookbackDaysOf(asOf: number, featureLookbackMs: number | null): number {
  return featureLookbackMs === null ? Math.floor(asOf / DAY) : Math.ceil(featureLookbackMs / DAY) + 1
}

const NONE: PlaybookFacts = { csmId: null, signupAt: null, milestones: {}, featureLastUsed: {}, lastPaymentFailedAt: null, lastP1TicketAt: null }

// Every read is bounded by the as-of time, so a sweep replayed for a past time sees that time's facts; every
// aggregate is a min or max, so an event stored twice before its merge changes nothing.
const BILLING_AND_SUPPORT = `SELECT account_id,
  toUnixTimestamp64Milli(maxIf(timestamp, event = 'payment_failed')) AS paymentFailed,
  toUnixTimestamp64Milli(maxIf(timestamp, event = 'support_ticket_opened' AND JSONExtractString(properties, 'severity') = 'P1')) AS p1,
  countIf(event = 'payment_failed') AS failures, countIf(event = 'support_ticket_opened' AND JSONExtractString(properties, 'severity') = 'P1') AS p1s
FROM account_facts
WHERE account_id IN {ids:Array(String)} AND timestamp <= {asOf:DateTime64(3, 'UTC')} AND event IN ('payment_failed', 'support_ticket_opened')
GROUP BY account_id`

const MILESTONES = `SELECT account_id, JSONExtractString(properties, 'milestoneId') AS milestone, toUnixTimestamp64Milli(min(timestamp)) AS at
FROM events
WHERE account_id IN {ids:Array(String)} AND event = 'onboarding_milestone_reached' AND timestamp <= {asOf:DateTime64(3, 'UTC')}
GROUP BY account_id, milestone`

// Days are what account_daily keeps: a feature's last use is known to the day, which is what "unused for 30
// days" needs, at ~30 rows per account instead of every feature_used event. Each row's features are read on
// their own (a day split over unmerged parts only repeats a day, and max() does not mind).
const FEATURES = `SELECT account_id, feature, toUnixTimestamp(max(day)) * 1000 AS at
FROM account_daily ARRAY JOIN features AS feature
WHERE ACCOUNTS day <= toDate({asOf:DateTime64(3, 'UTC')}) AND day >= toDate({asOf:DateTime64(3, 'UTC')}) - {lookbackDays:UInt32} AND FEATURES
GROUP BY account_id, feature`

// The signup date the account reported (account_updated.signupDate, days since epoch), else its first event;
// its CSM as the account 360 reads it (account_updated.csmId, else whoever last logged activity).
const SIGNUP = `SELECT account_id, max(signup_date).2 AS signupDay, toUnixTimestamp64Milli(min(first_seen)) AS firstSeen,
  coalesce(nullIf(max(csm_id).2, ''), nullIf(max(csm_touch).2, '')) AS csmId
FROM account_profile_state WHERE account_id IN {ids:Array(String)} GROUP BY account_id`

/** The last-use query for every account or those in {ids}, of the features in {features} (null: every feature). */
function featureUsesSql(all: boolean, features: string[] | null): string {
  return FEATURES.replace('ACCOUNTS', all ? '' : 'account_id IN {ids:Array(String)} AND').replace('AND FEATURES', features ? 'AND feature IN {features:Array(String)}' : "AND feature != ''")
}

/**
 * Which of the facts' reads rules need. The last payment failure and P1 ticket are the costliest read (every
 * ticket an account ever opened, its severity parsed), and with the default rules nothing looks at them; the
 * signup and CSM are always read (tasks go to the CSM).
 */
export interface FactsWanted {
  billingAndSupport: boolean
  milestones: boolean
}

export const EVERY_FACT: FactsWanted = { billingAndSupport: true, milestones: true }

/** Pure: the facts some condition reads, of the current state or the previous one (condition-inputs.ts). */
export function factsWantedBy(conditions: Condition[]): FactsWanted {
  const fields = new Set(conditions.flatMap((c) => conditionInputs(c).all))
  return { billingAndSupport: fields.has('lastPaymentFailedAt') || fields.has('lastP1TicketAt'), milestones: fields.has('milestones') }
}

/**
 * The facts of each account (every account asked for is in the map; unknown ones hold no facts). `features`
 * limits the features whose last use is read (the key features and those rules name; [] reads none, null
 * all), `featureLookbackMs` how far back (null: all time; a use before then is left out, as if none), `wanted`
 * which other reads to make (those not made leave their facts empty). A sweep
 * asks for `'all'` accounts: one scan of each table instead of one per slice of ids.
 */
export async function readPlaybookFacts(
  clickhouse: ClickHouseClient,
  accountIds: string[] | 'all',
  asOf: number,
  features: string[] | null = null,
  featureLookbackMs: number | null = null,
  wanted: FactsWanted = EVERY_FACT,
): Promise<Map<string, PlaybookFacts>> {
  const empty = () => ({ ...NONE, milestones: {}, featureLastUsed: {} }) as PlaybookFacts
  const all = accountIds === 'all'
  const facts = new Map(all ? [] : accountIds.map((id) => [id, empty()]))
  if (!all && !accountIds.length) return facts
  const scoped = (sql: string) => (all ? sql.replace('account_id IN {ids:Array(String)} AND ', '').replace('WHERE account_id IN {ids:Array(String)}', '') : sql)
  const featuresSql = featureUsesSql(all, features)
  const lookbackDays = lookbackDaysOf(asOf, featureLookbackMs)
  const params = { ids: all ? [] : accountIds, asOf: chTime(new Date(asOf)), features: features ?? [], lookbackDays }
  // Listed accounts (a pass's) in one query, one turn in chDB's queue of parameterized queries (batched-rows.ts).
  const read = all ? readerOf(clickhouse) : batchedReader(clickhouse)
  const [billing, milestones, featureRows, signups] = await Promise.all([
    wanted.billingAndSupport ? read<{ account_id: string; paymentFailed: string; p1: string; failures: string; p1s: string }>(scoped(BILLING_AND_SUPPORT), params) : [],
    wanted.milestones ? read<{ account_id: string; milestone: string; at: string }>(scoped(MILESTONES), params) : [],
    features?.length === 0 ? [] : read<{ account_id: string; feature: string; at: string }>(featuresSql, params),
    read<{ account_id: string; signupDay: number; firstSeen: string; csmId: string | null }>(scoped(SIGNUP), params),
  ])
  if (all) for (const r of [...billing, ...milestones, ...featureRows, ...signups]) if (!facts.has(r.account_id)) facts.set(r.account_id, empty())
  for (const r of billing) {
    const f = facts.get(r.account_id)!
    if (Number(r.failures) > 0) f.lastPaymentFailedAt = Number(r.paymentFailed)
    if (Number(r.p1s) > 0) f.lastP1TicketAt = Number(r.p1)
  }
  for (const r of milestones) if (r.milestone) facts.get(r.account_id)!.milestones[r.milestone] = Number(r.at)
  for (const r of featureRows) facts.get(r.account_id)!.featureLastUsed[r.feature] = Number(r.at)
  for (const r of signups) {
    const firstSeen = Number(r.firstSeen)
    facts.get(r.account_id)!.csmId = r.csmId || null
    facts.get(r.account_id)!.signupAt = r.signupDay > 0 ? r.signupDay * DAY : firstSeen > 0 && firstSeen <= asOf ? firstSeen : null
  }
  return facts
}

/**
 * Every account's last use of each of these features (those with one in the lookback): what a sweep adds to the
 * facts it keeps when the key features change, instead of reading every fact of every account again.
 */
export async function readFeatureLastUse(clickhouse: ClickHouseClient, asOf: number, features: string[], featureLookbackMs: number | null): Promise<Map<string, Record<string, number>>> {
  const uses = new Map<string, Record<string, number>>()
  if (!features.length) return uses
  const rows = await queryRows<{ account_id: string; feature: string; at: string }>(clickhouse, featureUsesSql(true, features), { asOf: chTime(new Date(asOf)), features, lookbackDays: lookbackDaysOf(asOf, featureLookbackMs) })
  for (const r of rows) {
    let used = uses.get(r.account_id)
    if (!used) uses.set(r.account_id, (used = {}))
    used[r.feature] = Number(r.at)
  }
  return uses
}

// Events stored since a time (`stored_at`, ClickHouse's clock at insert; every insert writes the derived tables
// the facts come from in the same step) and events whose time has come since the last read (stored earlier with
// a timestamp ahead of it). A row keeps its store time through merges, so a background merge names no account
// (parts' modification times did: every account of the merged parts); a message stored twice is a re-read too
// many, never one too few.
const CHANGED_ACCOUNTS = `
SELECT DISTINCT account_id FROM events WHERE stored_at >= {storedSince:DateTime64(3, 'UTC')}
UNION DISTINCT
SELECT DISTINCT account_id FROM events WHERE timestamp > {after:DateTime64(3, 'UTC')} AND timestamp <= {asOf:DateTime64(3, 'UTC')}`

/** ClickHouse's clock (ms): store times are its, so "since the last read" is measured on it. */
export async function clickhouseNow(clickhouse: ClickHouseClient): Promise<number> {
  const [{ now }] = await queryRows<{ now: string | number }>(clickhouse, 'SELECT toUnixTimestamp64Milli(now64(3)) AS now')
  return Number(now)
}

/**
 * Accounts whose facts may differ at `asOf` from a read made at ClickHouse time `readAt` as of `previousAsOf`:
 * those with events stored since (less `marginMs`, for inserts that were under way during that read) and those
 * with events timed between the two as-of times.
 */
export async function accountsChangedSince(clickhouse: ClickHouseClient, readAt: number, previousAsOf: number, asOf: number, marginMs = 300_000): Promise<string[]> {
  const rows = await queryRows<{ account_id: string }>(clickhouse, CHANGED_ACCOUNTS, {
    storedSince: chTime(new Date(readAt - marginMs)),
    after: chTime(new Date(previousAsOf)),
    asOf: chTime(new Date(asOf)),
  })
  return rows.map((r) => r.account_id)
}
