/**
 * Pure: the customer-success KPIs from their raw counts and sums (docs/KPIS.md gives each formula with a
 * worked example; test/unit/kpis.test.ts holds them). Every KPI is null when its denominator is empty: "no
 * NPS answers this month" is not an NPS of 0.
 */

/** What one account contributes to the KPIs of a period (sums of these make a group's). */
export interface KpiInputs {
  npsPromoters: number
  npsPassives: number
  npsDetractors: number
  csatRatings: number
  /** Ratings of 4 or 5. */
  csatSatisfied: number
  csatSum: number
  /** Days from signup to the value milestone, for accounts that reached it within the period. */
  timeToValueDays: number[]
  activeUsers: number
  /** Seats purchased, of accounts that report seats (their active users only count toward adoption). */
  seatsPurchased: number
  activeUsersWithSeats: number
  /** MRR (minor units) at the start and end of the period, of accounts paying at the start (the cohort). */
  startAccounts: number
  mrrStart: number
  mrrEnd: number
  expansion: number
  contraction: number
  /** MRR at the start of accounts that canceled by the end. */
  churnedMrr: number
  churnedAccounts: number
  expandedAccounts: number
  /** Playbook tasks due in the period (not canceled), those done by its end, and those done by their due date. */
  tasksDue: number
  tasksDone: number
  tasksDoneOnTime: number
}

export const NO_INPUTS: KpiInputs = {
  npsPromoters: 0, npsPassives: 0, npsDetractors: 0, csatRatings: 0, csatSatisfied: 0, csatSum: 0, timeToValueDays: [],
  activeUsers: 0, seatsPurchased: 0, activeUsersWithSeats: 0, startAccounts: 0, mrrStart: 0, mrrEnd: 0, expansion: 0,
  contraction: 0, churnedMrr: 0, churnedAccounts: 0, expandedAccounts: 0, tasksDue: 0, tasksDone: 0, tasksDoneOnTime: 0,
}

/** Adds an account's inputs into a group's running total (in place: a portfolio sums 50,000 accounts). */
export function addInputs(total: KpiInputs, a: KpiInputs): KpiInputs {
  for (const k of Object.keys(NO_INPUTS) as (keyof KpiInputs)[]) {
    if (k === 'timeToValueDays') total.timeToValueDays.push(...a.timeToValueDays)
    else total[k] += a[k]
  }
  return total
}

export const emptyInputs = (): KpiInputs => ({ ...NO_INPUTS, timeToValueDays: [] })

/** % promoters (9–10) − % detractors (0–6): 60 promoters, 30 passives, 10 detractors → 50. */
export function nps(promoters: number, passives: number, detractors: number): number | null {
  const n = promoters + passives + detractors
  return n ? (100 * (promoters - detractors)) / n : null
}

/** Share of 4–5 ratings on the 1–5 scale (80 of 100 → 0.8), and the average rating. */
export function csat(satisfied: number, ratings: number, sum: number): { satisfied: number | null; average: number | null } {
  return { satisfied: ratings ? satisfied / ratings : null, average: ratings ? sum / ratings : null }
}

export function median(values: number[]): number | null {
  if (!values.length) return null
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Revenue retention of the accounts paying at the start of a period: net = (start + expansion − contraction −
 * churn) / start, gross = (start − contraction − churn) / start (expansion left out, so at most 1).
 * 100,000 start, 15,000 expansion, 5,000 contraction, 10,000 churn → net 1.00, gross 0.85.
 */
export function retention(start: number, expansion: number, contraction: number, churn: number): { net: number | null; gross: number | null } {
  if (start <= 0) return { net: null, gross: null }
  return { net: (start + expansion - contraction - churn) / start, gross: (start - contraction - churn) / start }
}

export interface Kpis {
  nps: number | null
  npsResponses: number
  csat: number | null
  csatAverage: number | null
  csatResponses: number
  timeToValueDays: number | null
  timeToValueAccounts: number
  adoptionRate: number | null
  expansionRate: number | null
  netRevenueRetention: number | null
  grossRevenueRetention: number | null
  logoChurnRate: number | null
  startAccounts: number
  mrrStartCents: number
  mrrEndCents: number
  expansionCents: number
  contractionCents: number
  churnedMrrCents: number
  churnedAccounts: number
  expandedAccounts: number
  taskCompletionRate: number | null
  playbookAdherence: number | null
  tasksDue: number
  tasksDone: number
}

/**
 * Of the playbook tasks due in a period (canceled ones left out): the share done by the period's end
 * (completion rate) and the share done by their due date (adherence: the playbook followed as written).
 * 20 tasks due, 15 done, 12 of them on time → completion 0.75, adherence 0.6.
 */
export function taskFollowThrough(due: number, done: number, doneOnTime: number): { completionRate: number | null; adherence: number | null } {
  return due ? { completionRate: done / due, adherence: doneOnTime / due } : { completionRate: null, adherence: null }
}

export function kpis(i: KpiInputs): Kpis {
  const c = csat(i.csatSatisfied, i.csatRatings, i.csatSum)
  const r = retention(i.mrrStart, i.expansion, i.contraction, i.churnedMrr)
  const t = taskFollowThrough(i.tasksDue, i.tasksDone, i.tasksDoneOnTime)
  return {
    nps: nps(i.npsPromoters, i.npsPassives, i.npsDetractors),
    npsResponses: i.npsPromoters + i.npsPassives + i.npsDetractors,
    csat: c.satisfied,
    csatAverage: c.average,
    csatResponses: i.csatRatings,
    timeToValueDays: median(i.timeToValueDays),
    timeToValueAccounts: i.timeToValueDays.length,
    adoptionRate: i.seatsPurchased ? i.activeUsersWithSeats / i.seatsPurchased : null,
    expansionRate: i.startAccounts ? i.expandedAccounts / i.startAccounts : null,
    netRevenueRetention: r.net,
    grossRevenueRetention: r.gross,
    logoChurnRate: i.startAccounts ? i.churnedAccounts / i.startAccounts : null,
    startAccounts: i.startAccounts,
    mrrStartCents: i.mrrStart,
    mrrEndCents: i.mrrEnd,
    expansionCents: i.expansion,
    contractionCents: i.contraction,
    churnedMrrCents: i.churnedMrr,
    churnedAccounts: i.churnedAccounts,
    expandedAccounts: i.expandedAccounts,
    taskCompletionRate: t.completionRate,
    playbookAdherence: t.adherence,
    tasksDue: i.tasksDue,
    tasksDone: i.tasksDone,
  }
}

/** One account's revenue movement over a period, from its MRR at the start and at the end (0 = not paying). */
export function revenueMovement(mrrStart: number, mrrEnd: number, canceled: boolean): Pick<KpiInputs, 'startAccounts' | 'mrrStart' | 'mrrEnd' | 'expansion' | 'contraction' | 'churnedMrr' | 'churnedAccounts' | 'expandedAccounts'> {
  if (mrrStart <= 0) return { startAccounts: 0, mrrStart: 0, mrrEnd: 0, expansion: 0, contraction: 0, churnedMrr: 0, churnedAccounts: 0, expandedAccounts: 0 }
  const churned = canceled || mrrEnd <= 0
  return {
    startAccounts: 1,
    mrrStart,
    mrrEnd: churned ? 0 : mrrEnd,
    expansion: churned ? 0 : Math.max(0, mrrEnd - mrrStart),
    contraction: churned ? 0 : Math.max(0, mrrStart - mrrEnd),
    churnedMrr: churned ? mrrStart : 0,
    churnedAccounts: churned ? 1 : 0,
    expandedAccounts: !churned && mrrEnd > mrrStart ? 1 : 0,
  }
}

/** The metric sheet's targets (004's defaults), and whether a value meets one. */
export interface KpiTargets {
  nps: number
  csatAverage: number
  timeToValueDays: number
  adoptionRate: number
  expansionRate: number
  netRevenueRetention: number
}

export const DEFAULT_TARGETS: KpiTargets = { nps: 50, csatAverage: 4.5, timeToValueDays: 7, adoptionRate: 0.8, expansionRate: 0.2, netRevenueRetention: 1 }

export type TargetStatus = 'MET' | 'MISSED' | 'NO_DATA'

/** Time to value is met below its target, every other KPI above it (strictly, as the sheet's "> 50"). */
export function targetStatus(kpi: keyof KpiTargets, value: number | null, targets: KpiTargets = DEFAULT_TARGETS): TargetStatus {
  if (value === null) return 'NO_DATA'
  return (kpi === 'timeToValueDays' ? value < targets[kpi] : value > targets[kpi]) ? 'MET' : 'MISSED'
}
