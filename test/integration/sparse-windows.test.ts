import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { readAccountInputs, readAccountInputsAt } from '../../processors/scoring/measure-query.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents, type TestEvent } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
const T = Math.floor(Date.now() / DAY) * DAY - DAY / 2
const ago = (days: number) => T - days * DAY

// The sparse facts' windows at their edges, and the facts read back to an account's first event however old
// (the older months' latest subscription, seats, segment and CSM touch, and each invoice's latest payment and
// failure, from account_latest_facts); several as-of times read at once.
describe("the sparse facts' windows, on the real ClickHouse engine", () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const fact = (event: string, days: number, properties: Record<string, unknown>): TestEvent => ({ event, accountId: 'acct_w', at: ago(days), properties })
  const opened = (days: number, severity: string) => fact('support_ticket_opened', days, { ticketId: `T${days}`, severity, channel: 'EMAIL', category: null })
  const resolved = (days: number, csat: number, sentiment: string) => fact('support_ticket_resolved', days, { ticketId: `R${days}`, resolutionMinutes: days * 10, csat, sentiment })
  const nps = (days: number, score: number) => fact('nps_submitted', days, { score, comment: null })
  const failed = (days: number, invoiceId: string) => fact('payment_failed', days, { invoiceId, amountCents: 5000, currency: 'EUR', nextRetryAt: null })
  const paid = (days: number, invoiceId: string, daysLate: number) => fact('invoice_paid', days, { invoiceId, amountCents: 5000, currency: 'EUR', daysLate })
  const subscription = (days: number, mrrCents: number) =>
    fact('subscription_updated', days, { plan: 'pro', mrrCents, currency: 'USD', termMonths: 12, renewalDate: Math.floor(T / DAY) + 40, autoRenew: true, status: 'ACTIVE' })

  beforeAll(async () => {
    await migrate(clickhouse)
    await insertEvents(clickhouse, [
      opened(29.9, 'P1'), opened(30.1, 'P2'), opened(210, 'P2'), opened(400, 'P1'),
      fact('support_ticket_escalated', 10, { ticketId: 'T29.9', reason: null }),
      resolved(5, 2, 'NEGATIVE'), resolved(60, 5, 'POSITIVE'),
      fact('csat_submitted', 89, { score: 4, comment: null }), fact('csat_submitted', 91, { score: 1, comment: null }),
      nps(10, 10), nps(100, 3), nps(179, 9), nps(181, 0), nps(250, 10),
      subscription(400, 50_000), subscription(20, 80_000),
      fact('seats_updated', 500, { seatsPurchased: 99, seatsActive: 1 }), fact('seats_updated', 100, { seatsPurchased: 30, seatsActive: 12 }),
      fact('account_updated', 600, { name: 'W', segment: 'SMB', industry: null, csmId: null, signupDate: null, country: null }),
      fact('csm_activity_logged', 365, { activity: 'CALL', csmId: 'csm_1' }),
      failed(300, 'in_old'), failed(200, 'in_paid'), paid(190, 'in_paid', 3), paid(80, 'in_x', 12), paid(95, 'in_y', 40),
    ])
  })
  afterAll(() => clickhouse.close())

  const sparseAt = async (days: number) => (await readAccountInputs(clickhouse, { accountIds: ['acct_w'] }, new Date(ago(days))))[0].sparse!

  it('counts tickets and answers inside their windows only', async () => {
    const s = await sparseAt(0)
    expect([s.ticketsOpened30, s.ticketsP1_30, s.ticketsP2_30, s.escalations30].map(Number)).toEqual([1, 1, 0, 1])
    expect([s.resolved30, s.negative30, s.positive30, s.medianResolutionMinutes30].map(Number)).toEqual([1, 1, 0, 50])
    // CSAT over 90 days: the two resolved tickets' answers and one survey (not the one 91 days back).
    expect([s.csatCount90, s.csatSum90, s.csatLow30, s.csatHigh30].map(Number)).toEqual([3, 11, 1, 0])
    expect([s.npsCount90, s.npsPromoters90, s.npsDetractors90].map(Number)).toEqual([1, 1, 0])
    expect([s.npsCountPrev, s.npsPromotersPrev, s.npsDetractorsPrev].map(Number)).toEqual([2, 1, 1])
    expect(Number(s.maxDaysLate90)).toBe(12)
  })

  it('reads subscription, seats, segment, CSM touch and unpaid invoices however old', async () => {
    const s = await sparseAt(0)
    expect([s.hasSubscription, s.hasSubscription30Ago, s.mrr30Ago, s.hasSeats].map(Number)).toEqual([1, 1, 50_000, 1])
    expect(Number(s.subscription[0])).toBe(80_000)
    expect(s.seats.map(Number)).toEqual([30, 12])
    expect(s.segment).toBe('SMB')
    expect(Number(s.lastCsmTouch)).toBe(ago(365))
    expect([s.unpaidInvoices, s.exhaustedInvoices].map(Number)).toEqual([1, 1])
    expect(Boolean(Number(s.failedThenPaid90))).toBe(false)
  })

  it('bounds the windowed facts by the earliest of several as-of times', async () => {
    const times = [ago(200), ago(0)]
    const both = await readAccountInputsAt(clickhouse, { accountIds: ['acct_w'] }, times)
    const early = both.get(times[0])![0].sparse!
    // 200 days back: the ticket opened 210 days back is within its 30 days, the NPS answer 250 days back within its 90.
    expect([early.ticketsOpened30, early.npsCount90, early.npsPromoters90, early.hasSubscription, early.hasSeats].map(Number)).toEqual([1, 1, 1, 1, 1])
    expect(early.seats.map(Number)).toEqual([99, 1])
    expect(early).toEqual(await sparseAt(200))
    expect(both.get(times[1])![0].sparse).toEqual(await sparseAt(0))
  })
})
