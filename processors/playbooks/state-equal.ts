import type { AccountState } from './account-state.js'

/**
 * Pure: whether two states differ in nothing but their time (`now`). A steady sweep asks this of every account
 * against the state its last evaluation saw; compared field by field it allocates nothing, where comparing their
 * JSON built a ~1 KB string per account per sweep (and the garbage collection that follows). Records are
 * compared by content, whatever their key order.
 */
export function sameStateButTime(a: AccountState, b: AccountState): boolean {
  return (
    a.accountId === b.accountId &&
    a.segment === b.segment &&
    a.csmId === b.csmId &&
    a.score === b.score &&
    a.tier === b.tier &&
    a.churnProbability === b.churnProbability &&
    a.daysToRenewal === b.daysToRenewal &&
    a.seatsActive === b.seatsActive &&
    a.seatsPurchased === b.seatsPurchased &&
    a.signupAt === b.signupAt &&
    a.lastPaymentFailedAt === b.lastPaymentFailedAt &&
    a.lastP1TicketAt === b.lastP1TicketAt &&
    sameList(a.keyFeatures, b.keyFeatures) &&
    sameRecord(a.milestones, b.milestones) &&
    sameRecord(a.featureLastUsed, b.featureLastUsed)
  )
}

export function sameList(a: string[], b: string[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function sameRecord(a: Record<string, number>, b: Record<string, number>): boolean {
  if (a === b) return true
  let n = 0
  for (const k in a) {
    if (a[k] !== b[k]) return false
    n++
  }
  for (const _ in b) n--
  return n === 0
}
