import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS_DIR, migrate } from '../../migrations/runner.js'
import { readAccountProfiles, type AccountProfileRow } from '../../processors/account-profiles.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.parse('2026-06-15T00:00:00Z') / DAY)
const T = END_DAY * DAY

// The views' columns under the API's names (an account with nothing open has no open-items row): what
// readAccountProfiles must equal.
const VIEW_SQL = `SELECT account_id, name, segment, industry, csm_id AS csmId, country, signup_date AS signupDate, first_seen AS firstSeen,
  last_seen AS lastSeen, last_activity AS lastActivity, plan, mrr_cents AS mrrCents, currency, term_months AS termMonths,
  renewal_date AS renewalDate, auto_renew AS autoRenew, subscription_status AS subscriptionStatus, seats_purchased AS seatsPurchased,
  seats_active AS seatsActive, canceled_at AS canceledAt, last_csm_touch AS lastCsmTouch, last_csm_touch_by AS lastCsmTouchBy,
  latest_nps AS latestNps, latest_csat AS latestCsat, open_tickets AS openTickets, unpaid_invoices AS unpaidInvoices
FROM account_profiles LEFT JOIN account_open_items USING account_id`

/** Sets in any order: groupUniqArray promises none. */
const comparable = (p: AccountProfileRow) => ({ ...p, openTickets: [...p.openTickets].sort(), unpaidInvoices: [...p.unpaidInvoices].sort() })

describe('account profiles read from their state equal the account_profiles view (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  beforeAll(async () => {
    await migrate(clickhouse)
    await insertSimulated(clickhouse, { accounts: 300, days: 120, seed: 3, churnRate: 0.3, endDay: END_DAY })
    // The corners the simulation may not reach, each in its own insert (so in its own part until a merge).
    const at = (days: number) => T - days * DAY
    for (const e of [
      // Only a login: no traits, no subscription, no seats, no scores of any kind.
      { event: 'user_login', accountId: 'bare', userId: 'u1', at: at(3), properties: { method: 'SSO', mfa: false } },
      // Renamed, segment left out the second time (the last non-empty segment holds); CSM only from activity.
      { event: 'account_updated', accountId: 'edge', at: at(50), properties: { name: 'Old', segment: 'SMB', industry: 'retail', csmId: null, signupDate: END_DAY - 400, country: 'DE' } },
      { event: 'account_updated', accountId: 'edge', at: at(10), properties: { name: 'New', segment: null, industry: null, csmId: null, signupDate: null, country: null } },
      { event: 'csm_activity_logged', accountId: 'edge', at: at(8), properties: { csmId: 'csm_9', activity: 'CALL', durationMinutes: 30, notes: null } },
      // Canceled, with a ticket left open and one resolved, an invoice failed twice and one failed then paid.
      { event: 'subscription_updated', accountId: 'edge', at: at(40), properties: { plan: 'pro', mrrCents: 123_456_789_012, currency: 'EUR', termMonths: 12, renewalDate: END_DAY + 100, autoRenew: false, status: 'ACTIVE' } },
      { event: 'subscription_canceled', accountId: 'edge', at: at(5), properties: { reason: null, effectiveAt: null } },
      { event: 'support_ticket_opened', accountId: 'edge', at: at(20), properties: { ticketId: 't1', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_opened', accountId: 'edge', at: at(19), properties: { ticketId: 't2', severity: 'P3', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_resolved', accountId: 'edge', at: at(18), properties: { ticketId: 't2', csat: 2, resolutionMinutes: 60 } },
      { event: 'payment_failed', accountId: 'edge', at: at(30), properties: { invoiceId: 'in_1', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'payment_failed', accountId: 'edge', at: at(29), properties: { invoiceId: 'in_1', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 2, nextRetryAt: null } },
      { event: 'payment_failed', accountId: 'edge', at: at(28), properties: { invoiceId: 'in_2', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'invoice_paid', accountId: 'edge', at: at(27), properties: { invoiceId: 'in_2', amountCents: 100, currency: 'EUR' } },
      { event: 'nps_submitted', accountId: 'edge', at: at(6), properties: { score: 0, comment: null } },
      { event: 'seats_updated', accountId: 'edge', at: at(7), properties: { seatsPurchased: 10, seatsActive: 0 } },
    ])
      await insertEvents(clickhouse, [e])
  }, 180_000)
  afterAll(() => clickhouse.close())

  it('account by account, every field, for every account and for one asked alone', async () => {
    const view = await queryRows<AccountProfileRow>(clickhouse, VIEW_SQL)
    expect(view.length).toBeGreaterThan(300)
    const read = await readAccountProfiles(clickhouse, view.map((r) => r.account_id))
    expect(read.size).toBe(view.length)
    for (const v of view) expect(comparable(read.get(v.account_id)!), v.account_id).toEqual(comparable(v))

    // The corners are what they should be, not only what the view says.
    const edge = read.get('edge')!
    expect(edge).toMatchObject({ name: 'New', segment: 'SMB', industry: 'retail', csmId: 'csm_9', country: 'DE', lastCsmTouchBy: 'csm_9', plan: 'pro', autoRenew: 0, latestNps: 0, seatsActive: 0, latestCsat: 2 })
    expect(edge.canceledAt).not.toBeNull()
    expect(edge.openTickets).toEqual([['t1', 'P1']])
    expect(edge.unpaidInvoices).toEqual(['in_1'])
    expect(Number(edge.mrrCents)).toBe(123_456_789_012)
    expect(edge.renewalDate).toBe(new Date((END_DAY + 100) * DAY).toISOString().slice(0, 10))
    expect(read.get('bare')).toMatchObject({ name: null, plan: null, mrrCents: null, seatsPurchased: null, signupDate: null, canceledAt: null, lastCsmTouch: null, latestNps: null, openTickets: [], unpaidInvoices: [] })
    expect(read.get('bare')!.lastActivity).not.toBeNull()

    const alone = await readAccountProfiles(clickhouse, ['edge', 'nobody'])
    expect([...alone.keys()]).toEqual(['edge'])
  })

  it('the views (the state read with FINAL, the open items from account_items) equal the first definition (006) over every event, column types too', async () => {
    // The first definition, from its migration: the state's view (every column aggregated) over what its
    // materialized view made of the events, every ticket and invoice id kept in the sets since dropped (021).
    const first = fs.readFileSync(path.join(MIGRATIONS_DIR, '006_account_profiles.sql'), 'utf8')
    const state = /MATERIALIZED VIEW IF NOT EXISTS account_profile_mv TO account_profile_state AS\s*([\s\S]*?GROUP BY account_id);/.exec(first)![1]
    const grouped = /CREATE VIEW IF NOT EXISTS account_profiles AS\s*([\s\S]*?GROUP BY account_id);/.exec(first)![1].replace('FROM account_profile_state', `FROM (${state})`)
    // An account whose rows sit in parts of their own, merges held off: what FINAL must merge, not a merge before it.
    await clickhouse.command({ query: 'SYSTEM STOP MERGES account_profile_state' })
    await clickhouse.command({ query: 'SYSTEM STOP MERGES account_items' })
    const at = (days: number) => T - days * DAY
    for (const e of [
      { event: 'account_updated', accountId: 'split', at: at(9), properties: { name: 'Split', segment: 'ENTERPRISE', industry: null, csmId: 'csm_1', signupDate: END_DAY - 90, country: 'FR' } },
      { event: 'account_updated', accountId: 'split', at: at(2), properties: { name: 'Split 2', segment: null, industry: 'media', csmId: null, signupDate: null, country: null } },
      { event: 'support_ticket_opened', accountId: 'split', at: at(8), properties: { ticketId: 's1', severity: 'P2', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_opened', accountId: 'split', at: at(7), properties: { ticketId: 's2', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_resolved', accountId: 'split', at: at(6), properties: { ticketId: 's1', csat: 5, resolutionMinutes: 30 } },
      { event: 'payment_failed', accountId: 'split', at: at(5), properties: { invoiceId: 'in_s', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'invoice_paid', accountId: 'split', at: at(4), properties: { invoiceId: 'in_s', amountCents: 100, currency: 'EUR' } },
      // Opened again with another severity: the first definition kept both pairs.
      { event: 'support_ticket_opened', accountId: 'split', at: at(3), properties: { ticketId: 's3', severity: 'P3', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_opened', accountId: 'split', at: at(1), properties: { ticketId: 's3', severity: 'P2', channel: 'EMAIL', category: null } },
      // Opened or failed a month before they closed: the item's rows sit in two months' partitions.
      { event: 'support_ticket_opened', accountId: 'split', at: at(40), properties: { ticketId: 's4', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_resolved', accountId: 'split', at: at(3), properties: { ticketId: 's4', csat: 0, resolutionMinutes: 30 } },
      { event: 'payment_failed', accountId: 'split', at: at(45), properties: { invoiceId: 'in_m', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'invoice_paid', accountId: 'split', at: at(2), properties: { invoiceId: 'in_m', amountCents: 100, currency: 'EUR' } },
      { event: 'support_ticket_opened', accountId: 'split', at: at(50), properties: { ticketId: 's5', severity: 'P3', channel: 'EMAIL', category: null } },
    ])
      await insertEvents(clickhouse, [e])
    const rowsOf = await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM account_profile_state WHERE account_id = 'split'")
    expect(Number(rowsOf[0].n)).toBe(14)
    const itemRows = await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM account_items WHERE account_id = 'split'")
    expect(Number(itemRows[0].n)).toBe(12)
    const sets = (r: Record<string, any>) => ({ ...r, open_tickets: r.open_tickets.map(String).sort(), unpaid_invoices: [...r.unpaid_invoices].sort() })
    const views = 'SELECT * FROM account_profiles LEFT JOIN account_open_items USING account_id'
    const view = await queryRows<Record<string, any>>(clickhouse, `${views} ORDER BY account_id`)
    const oracle = await queryRows<Record<string, any>>(clickhouse, `SELECT * FROM (${grouped}) ORDER BY account_id`)
    expect(view.length).toBe(oracle.length)
    for (let i = 0; i < view.length; i++) expect(sets(view[i]), oracle[i].account_id).toEqual(sets(oracle[i]))
    // The state's columns keep their SimpleAggregateFunction type through the view's functions; the events'
    // do not. Clients read the same values either way.
    const plain = (type: string) => type.replace(/SimpleAggregateFunction\(\w+, (.*)\)/, '$1')
    const types = async (sql: string) => (await queryRows<{ name: string; type: string }>(clickhouse, `DESCRIBE (${sql})`)).map((c) => [c.name, plain(c.type)])
    const columns = await types(views)
    expect(columns.length).toBe(26)
    expect(columns).toEqual(await types(grouped))
    const split = view.find((r) => r.account_id === 'split')!
    expect(sets(split)).toMatchObject({ name: 'Split 2', segment: 'ENTERPRISE', industry: 'media', csm_id: 'csm_1', open_tickets: ['s2,P1', 's3,P2', 's3,P3', 's5,P3'], unpaid_invoices: [] })
    const read = (await readAccountProfiles(clickhouse, ['split'])).get('split')!
    expect(comparable(read)).toMatchObject({ name: 'Split 2', openTickets: [['s2', 'P1'], ['s3', 'P2'], ['s3', 'P3'], ['s5', 'P3']], unpaidInvoices: [] })
    await clickhouse.command({ query: 'SYSTEM START MERGES account_profile_state' })
    await clickhouse.command({ query: 'SYSTEM START MERGES account_items' })
  })
})
