import { afterAll, describe, expect, it } from 'vitest'
import { migrate, readMigrations } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.parse('2026-06-15T00:00:00Z') / DAY)

/** Sets in any order: groupUniqArray promises none. */
const comparable = (r: Record<string, any>): Record<string, any> => ({ ...r, open_tickets: r.open_tickets.map(String).sort(), unpaid_invoices: [...r.unpaid_invoices].sort() })

describe('migration 021 on embedded ClickHouse (chDB): tickets and invoices moved out of the profile state into account_items', () => {
  let clickhouse: ReturnType<typeof createClickHouse>
  afterAll(() => clickhouse?.close())

  it('gives every profile the view gave before it, with events stored while it runs counted once each', async () => {
    clickhouse = createClickHouse({ dataDir: tempDir() })
    const all = readMigrations()
    const at = all.findIndex((m) => m.name === '021_account_items.sql')
    expect(at).toBeGreaterThan(0)
    await migrate(clickhouse, all.slice(0, at))
    await insertSimulated(clickhouse, { accounts: 60, days: 90, seed: 11, churnRate: 0.4, endDay: END_DAY })
    const view = async (sql: string) => (await queryRows<Record<string, any>>(clickhouse, `${sql} ORDER BY account_id`)).map(comparable)
    const before = await view('SELECT * FROM account_profiles')
    // What the comparison covers: accounts with tickets and invoices still open, and some closed.
    expect(before.filter((r) => r.open_tickets.length).length).toBeGreaterThan(0)
    expect(before.filter((r) => r.unpaid_invoices.length).length).toBeGreaterThan(0)
    const closed = await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM events WHERE event IN ('support_ticket_resolved', 'invoice_paid')")
    expect(Number(closed[0].n)).toBeGreaterThan(0)

    // The migration's statements one by one, each followed by a new account's first events: a rename, a ticket
    // opened, one opened and resolved, an invoice failed (another process storing while this one migrates).
    const { statements } = all[at]
    for (const [i, statement] of statements.entries()) {
      await clickhouse.command({ query: statement })
      const t = (END_DAY - 1) * DAY + i * 1000
      await insertEvents(clickhouse, [
        { event: 'support_ticket_opened', accountId: `late_${i}`, at: t, properties: { ticketId: `open_${i}`, severity: 'P2', channel: 'EMAIL', category: null } },
        { event: 'support_ticket_opened', accountId: `late_${i}`, at: t, properties: { ticketId: `done_${i}`, severity: 'P1', channel: 'EMAIL', category: null } },
        { event: 'support_ticket_resolved', accountId: `late_${i}`, at: t + 1, properties: { ticketId: `done_${i}`, csat: 4, resolutionMinutes: 1 } },
        { event: 'payment_failed', accountId: `late_${i}`, at: t, properties: { invoiceId: `in_${i}`, amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
        { event: 'account_updated', accountId: `late_${i}`, at: t, properties: { name: `Late ${i}`, segment: null, industry: null, csmId: null, signupDate: null, country: null } },
      ])
    }
    // The open items now have a view of their own.
    const after = await view('SELECT * FROM account_profiles LEFT JOIN account_open_items USING account_id')
    expect(after.filter((r) => !r.account_id.startsWith('late_'))).toEqual(before)
    const late = after.filter((r) => r.account_id.startsWith('late_'))
    expect(late.map((r) => r.account_id)).toEqual(statements.map((_, i) => `late_${i}`).sort())
    for (const r of late) {
      const i = r.account_id.slice('late_'.length)
      expect(r, `events stored after statement ${i}`).toMatchObject({ name: `Late ${i}`, latest_csat: 4, open_tickets: [`open_${i},P2`], unpaid_invoices: [`in_${i}`] })
    }

    // The sets are gone from the profile state, and the one view left writing it is the new one.
    const columns = await queryRows<{ name: string }>(clickhouse, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'account_profile_state'")
    expect(columns.map((c) => c.name)).not.toEqual(expect.arrayContaining(['tickets_opened']))
    expect(columns).toHaveLength(16)
    const views = await queryRows<{ name: string }>(clickhouse, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' AND create_table_query LIKE '%TO %account_profile_state%'")
    expect(views.map((v) => v.name)).toEqual(['account_profile_latest_mv'])
  })
})
