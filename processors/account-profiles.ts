/**
 * Current account profiles read straight from `account_profile_state` and `account_items` (the open tickets
 * and unpaid invoices), finished here rather than by the `account_profiles` view. The view is what SQL joins
 * use (filters, orderings, the portfolio); a lookup of a few accounts by id (the account 360, a page's
 * profiles) pays ~12 ms in chDB just planning the view's lambdas and tuple picks, more than reading the rows.
 * `finishProfile` is the views' SELECT lists in TypeScript, so the two give equal profiles
 * (test/integration/account-profiles.test.ts holds them equal account by account).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from './clickhouse-rows.js'

/** A profile as the view gives it, named as the API names its fields (times as ClickHouse's text, in UTC). */
export interface AccountProfileRow {
  account_id: string
  name: string | null
  segment: string | null
  industry: string | null
  csmId: string | null
  country: string | null
  /** YYYY-MM-DD. */
  signupDate: string | null
  firstSeen: string
  lastSeen: string
  lastActivity: string | null
  plan: string | null
  mrrCents: number | string | null
  currency: string | null
  termMonths: number | null
  /** YYYY-MM-DD. */
  renewalDate: string | null
  /** 1 or 0, as the view's boolean. */
  autoRenew: number | null
  subscriptionStatus: string | null
  seatsPurchased: number | null
  seatsActive: number | null
  canceledAt: string | null
  lastCsmTouch: string | null
  lastCsmTouchBy: string | null
  latestNps: number | null
  latestCsat: number | null
  /** [ticketId, severity] of tickets opened and not resolved. */
  openTickets: [string, string][]
  /** Invoices whose payment failed and that were not paid since. */
  unpaidInvoices: string[]
}

/** One account's state merged over its parts: each "latest" field a (time, value…) tuple, never = epoch 0. */
export interface AccountProfileState {
  account_id: string
  first_seen: string
  last_seen: string
  last_activity: string
  name: [string, string]
  segment: [string, string]
  industry: [string, string]
  csm_id: [string, string]
  country: [string, string]
  signup_date: [string, number]
  subscription: [string, string, number | string, string, number, number, number, string]
  seats: [string, number, number]
  canceled_at: string
  csm_touch: [string, string]
  nps: [string, number]
  csat: [string, number]
}

/** An account's tickets opened and not resolved, and invoices failed and not paid, as OPEN_ITEMS_SQL reads them. */
export interface OpenItemsRow {
  account_id: string
  /** [ticketId, the severities it was opened with]. */
  tickets: [string, string[]][]
  invoices: string[]
}

// FINAL rather than GROUP BY with each column's function: every column is a SimpleAggregateFunction, so the
// engine's merge of an account's rows gives the same row, without planning twenty aggregates (one account 8.0 →
// 5.0 ms, a hundred 35.7 → 31.8 ms at p50 on 50,000 accounts; docs/BENCHMARKS.md).
const STATE_SQL = `
SELECT account_id, first_seen, last_seen, last_activity, name, segment, industry, csm_id, country, signup_date, subscription, seats,
  canceled_at, csm_touch, nps, csat
FROM account_profile_state FINAL WHERE account_id IN {ids:Array(String)}`

// The view's open items: each item merged over its parts and months (FINAL), kept when opened and never
// closed, one row per account (an account's tickets can number hundreds: arrays, not a row each).
const OPEN_ITEMS_SQL = `
SELECT account_id, groupArrayIf((item, severities), kind = 'ticket') AS tickets, groupArrayIf(item, kind = 'invoice') AS invoices
FROM account_items FINAL WHERE account_id IN {ids:Array(String)} AND opened = 1 AND closed = 0
GROUP BY account_id`

/** The time the state writes for "no such event" (toDateTime64(0, 3, 'UTC') as ClickHouse prints it). */
const NEVER = '1970-01-01 00:00:00.000'

const DAY = 86_400_000
/** toDate32 of a day number. */
const date = (days: number) => new Date(days * DAY).toISOString().slice(0, 10)
const text = (s: string) => (s === '' ? null : s)
const time = (t: string) => (t === NEVER ? null : t)

/** Pure: the views' profile from the account's merged state and open items (none: nothing open). */
export function finishProfile(s: AccountProfileState, open?: OpenItemsRow): AccountProfileRow {
  const sub = s.subscription[0] === NEVER ? null : s.subscription
  const seats = s.seats[0] === NEVER ? null : s.seats
  return {
    account_id: s.account_id,
    name: text(s.name[1]),
    segment: text(s.segment[1]),
    industry: text(s.industry[1]),
    csmId: text(s.csm_id[1]) ?? text(s.csm_touch[1]),
    country: text(s.country[1]),
    signupDate: s.signup_date[0] === NEVER ? null : date(s.signup_date[1]),
    firstSeen: s.first_seen,
    lastSeen: s.last_seen,
    lastActivity: time(s.last_activity),
    plan: sub && sub[1],
    mrrCents: sub && sub[2],
    currency: sub && sub[3],
    termMonths: sub && sub[4],
    renewalDate: sub && date(sub[5]),
    autoRenew: sub && (sub[6] === 1 ? 1 : 0),
    subscriptionStatus: sub && sub[7],
    seatsPurchased: seats && seats[1],
    seatsActive: seats && seats[2],
    canceledAt: time(s.canceled_at),
    lastCsmTouch: time(s.csm_touch[0]),
    lastCsmTouchBy: text(s.csm_touch[1]),
    latestNps: s.nps[0] === NEVER ? null : s.nps[1],
    latestCsat: s.csat[0] === NEVER ? null : s.csat[1],
    // A ticket opened with two severities is there twice, as the view has it.
    openTickets: open ? open.tickets.flatMap(([id, severities]) => severities.map((severity): [string, string] => [id, severity])) : [],
    unpaidInvoices: open ? open.invoices : [],
  }
}

/** The current profiles of these accounts (absent: no event stored for it yet). */
export async function readAccountProfiles(clickhouse: ClickHouseClient, accountIds: readonly string[]): Promise<Map<string, AccountProfileRow>> {
  if (!accountIds.length) return new Map()
  const [states, items] = await Promise.all([
    queryRows<AccountProfileState>(clickhouse, STATE_SQL, { ids: accountIds }),
    queryRows<OpenItemsRow>(clickhouse, OPEN_ITEMS_SQL, { ids: accountIds }),
  ])
  const open = new Map(items.map((r) => [r.account_id, r]))
  return new Map(states.map((r) => [r.account_id, finishProfile(r, open.get(r.account_id))]))
}
