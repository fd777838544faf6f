import type { TestEvent } from './event-rows.js'

const DAY = 86_400_000

/**
 * A seeded generator of facts of every kind a score reads (tickets, surveys, CSM touches, invoices with
 * repeated ids, subscriptions, seats, segments), with properties as the catalog's schemas give them.
 */
export function randomFacts(seed: number) {
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
  const pick = <X>(xs: X[]) => xs[Math.floor(random() * xs.length)]
  const factOf = (accountId: string, at: number): TestEvent => {
    const invoiceId = `in_${Math.floor(random() * 6)}`
    const [event, properties] = pick<[string, Record<string, unknown>]>([
      ['support_ticket_opened', { ticketId: 'T', severity: pick(['P1', 'P2', 'P3']), channel: 'EMAIL', category: null }],
      ['support_ticket_escalated', { ticketId: 'T', reason: null }],
      ['support_ticket_resolved', { ticketId: 'T', resolutionMinutes: Math.floor(random() * 900), csat: Math.floor(random() * 6), sentiment: pick(['POSITIVE', 'NEUTRAL', 'NEGATIVE']) }],
      ['csat_submitted', { score: 1 + Math.floor(random() * 5), comment: null }],
      ['nps_submitted', { score: Math.floor(random() * 11), comment: null }],
      ['csm_activity_logged', { activity: 'CALL', csmId: pick(['csm_1', 'csm_2']) }],
      ['invoice_paid', { invoiceId, amountCents: 5000, currency: 'EUR', daysLate: Math.floor(random() * 40) }],
      ['payment_failed', { invoiceId, amountCents: 5000, currency: 'EUR', nextRetryAt: random() < 0.5 ? null : Math.floor(at / DAY) + 3 }],
      ['subscription_updated', { plan: 'pro', mrrCents: Math.floor(random() * 90_000), currency: 'USD', termMonths: 12, renewalDate: Math.floor(at / DAY) + 200, autoRenew: true, status: pick(['ACTIVE', 'PAST_DUE', 'CANCELED']) }],
      ['seats_updated', { seatsPurchased: Math.floor(random() * 50), seatsActive: Math.floor(random() * 50) }],
      ['account_updated', { name: 'A', segment: pick(['SMB', 'ENTERPRISE', null]), industry: null, csmId: null, signupDate: null, country: null }],
    ])
    return { event, accountId, at, properties }
  }
  return { random, pick, factOf }
}
