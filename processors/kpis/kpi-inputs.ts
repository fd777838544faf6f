/**
 * Reads what every account contributes to the KPIs of a period [from, to), in two set-based ClickHouse
 * queries: surveys, milestones and subscriptions from the events (a few kinds, on the primary key's event
 * column), active users from the daily rollup. Accounts are then summed into groups in JS (see kpis.ts),
 * because a group's median time to value is not a sum of its accounts'.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'
import { revenueMovement, type KpiInputs } from './formulas.js'

export interface AccountKpiInputs extends KpiInputs {
  accountId: string
}

// Counts are distinct message ids, so an event stored twice before a merge counts once. The subscription
// state at a time is the latest of subscription_updated and subscription_canceled up to it: canceled (or a
// CANCELED status) pays 0, whatever MRR it carried.
const EVENTS_SQL = `
WITH {from:DateTime64(3, 'UTC')} AS f, {to:DateTime64(3, 'UTC')} AS t,
  JSONExtractInt(properties, 'score') AS score,
  -- CSAT answers: the survey event's score, and the rating a resolved ticket carries.
  multiIf(event = 'csat_submitted', score, event = 'support_ticket_resolved', JSONExtractInt(properties, 'csat'), 0) AS rating,
  JSONExtractString(properties, 'status') AS status,
  (event = 'subscription_canceled' OR status = 'CANCELED') AS canceled,
  if(canceled, 0, JSONExtractInt(properties, 'mrrCents')) AS mrr
SELECT
  account_id,
  uniqExactIf(message_id, event = 'nps_submitted' AND timestamp >= f AND timestamp < t AND score >= 9) AS npsPromoters,
  uniqExactIf(message_id, event = 'nps_submitted' AND timestamp >= f AND timestamp < t AND score BETWEEN 7 AND 8) AS npsPassives,
  uniqExactIf(message_id, event = 'nps_submitted' AND timestamp >= f AND timestamp < t AND score <= 6) AS npsDetractors,
  uniqExactIf(message_id, timestamp >= f AND timestamp < t AND rating BETWEEN 1 AND 5) AS csatRatings,
  uniqExactIf(message_id, timestamp >= f AND timestamp < t AND rating BETWEEN 4 AND 5) AS csatSatisfied,
  sumIf(rating, timestamp >= f AND timestamp < t AND rating BETWEEN 1 AND 5) AS csatSum,
  minIf(timestamp, event = 'onboarding_milestone_reached' AND ({milestone:String} = '' OR JSONExtractString(properties, 'milestoneId') = {milestone:String})) AS milestoneAt,
  countIf(event = 'onboarding_milestone_reached' AND ({milestone:String} = '' OR JSONExtractString(properties, 'milestoneId') = {milestone:String})) AS milestones,
  argMaxIf(JSONExtract(properties, 'signupDate', 'Nullable(Int32)'), timestamp, event = 'account_updated' AND JSONExtract(properties, 'signupDate', 'Nullable(Int32)') IS NOT NULL) AS signupDay,
  countIf(event = 'account_updated' AND JSONExtract(properties, 'signupDate', 'Nullable(Int32)') IS NOT NULL) AS signupDates,
  argMaxIf(mrr, timestamp, event IN ('subscription_updated', 'subscription_canceled') AND timestamp < f) AS mrrStart,
  argMaxIf(mrr, timestamp, event IN ('subscription_updated', 'subscription_canceled') AND timestamp < t) AS mrrEnd,
  argMaxIf(canceled, timestamp, event IN ('subscription_updated', 'subscription_canceled') AND timestamp < t) AS canceledAtEnd,
  argMaxIf(JSONExtractInt(properties, 'seatsPurchased'), timestamp, event = 'seats_updated' AND timestamp < t) AS seatsPurchased
FROM events
WHERE ({some:UInt8} = 0 OR account_id IN {ids:Array(String)}) AND timestamp < t AND event IN ('nps_submitted', 'csat_submitted', 'support_ticket_resolved', 'onboarding_milestone_reached', 'account_updated', 'subscription_updated', 'subscription_canceled', 'seats_updated')
GROUP BY account_id`

// Active users over the 30 days before the period's end (the adoption rate's numerator).
const USAGE_SQL = `
SELECT account_id, uniqExactArray(active_users) AS activeUsers
FROM account_daily
WHERE ({some:UInt8} = 0 OR account_id IN {ids:Array(String)}) AND day >= toDate({to:DateTime64(3, 'UTC')}) - 30 AND day < toDate({to:DateTime64(3, 'UTC')})
GROUP BY account_id`

const ACCOUNTS_SQL = `
SELECT account_id, toUnixTimestamp64Milli(min(first_seen)) AS firstSeen FROM account_profile_state
WHERE {some:UInt8} = 0 OR account_id IN {ids:Array(String)}
GROUP BY account_id HAVING min(first_seen) < {to:DateTime64(3, 'UTC')}`

// Playbook tasks due in the period (their latest version), by account; canceled ones are not owed.
const TASKS_SQL = `
WITH {from:DateTime64(3, 'UTC')} AS f, {to:DateTime64(3, 'UTC')} AS t,
  status = 'done' AND completed_at < t AS doneByEnd
SELECT account_id, count() AS tasksDue, countIf(doneByEnd) AS tasksDone, countIf(doneByEnd AND completed_at <= due_at) AS tasksDoneOnTime
FROM playbook_tasks FINAL
WHERE ({some:UInt8} = 0 OR account_id IN {ids:Array(String)}) AND due_at >= f AND due_at < t AND status != 'canceled'
GROUP BY account_id`

const DAY = 86_400_000

/** Every account seen before `to`, with its contribution to the period's KPIs. */
export async function readKpiInputs(clickhouse: ClickHouseClient, period: { from: number; to: number }, opts: { milestone?: string; accountIds?: string[] } = {}): Promise<AccountKpiInputs[]> {
  const params = { from: chTime(new Date(period.from)), to: chTime(new Date(period.to)), milestone: opts.milestone ?? '', ids: opts.accountIds ?? [], some: opts.accountIds ? 1 : 0 }
  const [accounts, rows, usage, tasks] = await Promise.all([
    queryRows<{ account_id: string; firstSeen: string | number }>(clickhouse, ACCOUNTS_SQL, params),
    queryRows<Record<string, any>>(clickhouse, EVENTS_SQL, params),
    queryRows<{ account_id: string; activeUsers: number | string }>(clickhouse, USAGE_SQL, params),
    queryRows<{ account_id: string; tasksDue: string; tasksDone: string; tasksDoneOnTime: string }>(clickhouse, TASKS_SQL, params),
  ])
  const tasksOf = new Map(tasks.map((t) => [t.account_id, t]))
  const activeOf = new Map(usage.map((u) => [u.account_id, Number(u.activeUsers)]))
  const factsOf = new Map(rows.map((r) => [r.account_id as string, r]))
  const time = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`)
  return accounts.map((a) => {
    const r = factsOf.get(a.account_id) ?? {}
    // account_updated's signupDate (days since 1970-01-01), else the first event.
    const signup = Number(r.signupDates ?? 0) > 0 ? Number(r.signupDay) * DAY : Number(a.firstSeen)
    const milestoneAt = Number(r.milestones ?? 0) > 0 ? time(r.milestoneAt) : null
    const reachedInPeriod = milestoneAt !== null && milestoneAt >= period.from && milestoneAt < period.to
    const activeUsers = activeOf.get(a.account_id) ?? 0
    const seats = Number(r.seatsPurchased ?? 0)
    return {
      accountId: a.account_id,
      npsPromoters: Number(r.npsPromoters ?? 0),
      npsPassives: Number(r.npsPassives ?? 0),
      npsDetractors: Number(r.npsDetractors ?? 0),
      csatRatings: Number(r.csatRatings ?? 0),
      csatSatisfied: Number(r.csatSatisfied ?? 0),
      csatSum: Number(r.csatSum ?? 0),
      timeToValueDays: reachedInPeriod ? [Math.max(0, Math.floor((milestoneAt - signup) / DAY))] : [],
      activeUsers,
      seatsPurchased: seats > 0 ? seats : 0,
      activeUsersWithSeats: seats > 0 ? activeUsers : 0,
      ...revenueMovement(Number(r.mrrStart ?? 0), Number(r.mrrEnd ?? 0), Number(r.canceledAtEnd ?? 0) === 1),
      tasksDue: Number(tasksOf.get(a.account_id)?.tasksDue ?? 0),
      tasksDone: Number(tasksOf.get(a.account_id)?.tasksDone ?? 0),
      tasksDoneOnTime: Number(tasksOf.get(a.account_id)?.tasksDoneOnTime ?? 0),
    }
  })
}
