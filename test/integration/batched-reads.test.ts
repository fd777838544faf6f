import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { batchedReader, readerOf } from '../../processors/batched-rows.js'
import { readPlaybookFacts } from '../../processors/playbooks/account-facts.js'
import { loadScorecard, scoreAccounts } from '../../processors/scoring/index.js'
import { portfolioReader, readAccountInputs } from '../../processors/scoring/measure-query.js'
import { createSparseMemo } from '../../processors/scoring/sparse-memo.js'
import { readScoreHistory } from '../../processors/scoring/score-store.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { activity, insertEvents } from '../support/event-rows.js'
import { countingClient } from '../support/counting-client.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
const T0 = Math.floor(Date.now() / DAY) * DAY + DAY / 2 - 10 * DAY

// A pass over listed accounts sends its reads as one UNION ALL query (each row as JSON inside JSON): what it
// reads must be exactly what one query per read gives, for every kind of column the reads return.
describe('a pass\'s reads as one query, on the real ClickHouse engine', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const ids = ['acct_a', 'acct_b', 'acct_none']
  const scorecard = loadScorecard({ config: 'pulse' })

  beforeAll(async () => {
    await migrate(clickhouse)
    await insertEvents(clickhouse, [
      ...activity('acct_a', { end: T0, days: 20, users: 3, features: ['reports.export', 'alerts.create'] }),
      ...activity('acct_b', { end: T0 - 5 * DAY, days: 10, users: 2, features: ['reports.export'] }),
      { event: 'support_ticket_opened', accountId: 'acct_a', at: T0 - 3 * DAY, properties: { ticketId: 'T1', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_resolved', accountId: 'acct_a', at: T0 - 2 * DAY, properties: { ticketId: 'T1', resolutionMinutes: 90, csat: 4, sentiment: 'POSITIVE' } },
      { event: 'nps_submitted', accountId: 'acct_b', at: T0 - 4 * DAY, properties: { score: 9, comment: null } },
      { event: 'payment_failed', accountId: 'acct_b', at: T0 - 6 * DAY, properties: { invoiceId: 'in_9', amountCents: 5000, currency: 'EUR', nextRetryAt: null } },
      { event: 'subscription_updated', accountId: 'acct_a', at: T0 - 8 * DAY, properties: { plan: 'pro', mrrCents: 120000, currency: 'USD', termMonths: 12, renewalDate: Math.floor(T0 / DAY) + 40, autoRenew: true, status: 'ACTIVE' } },
      { event: 'seats_updated', accountId: 'acct_a', at: T0 - 8 * DAY, properties: { seatsPurchased: 10, seatsActive: 3 } },
      { event: 'account_updated', accountId: 'acct_a', at: T0 - 9 * DAY, properties: { name: 'A', segment: 'ENTERPRISE', industry: null, csmId: 'csm_1', signupDate: null, country: null } },
    ])
    // Scores a day apart, so the history has a latest score and a base to smooth from.
    await scoreAccounts({ clickhouse, scorecard, publish: () => {} }, { all: true }, T0 - DAY, 'sweep')
    await scoreAccounts({ clickhouse, scorecard, publish: () => {} }, { all: true }, T0 - 1000, 'sweep')
  })
  afterAll(() => clickhouse.close())

  it('reads the same measures inputs, portfolio and score history as one query per read', async () => {
    const selection = { accountIds: ids }
    const read = async (reader: ReturnType<typeof readerOf>) =>
      Promise.all([
        readAccountInputs(clickhouse, selection, new Date(T0), false, reader),
        portfolioReader(clickhouse)(new Date(T0), scorecard.card.coreFeatures, reader),
        readScoreHistory(clickhouse, selection, T0, reader),
      ])
    const [inputs, portfolio, history] = await read(batchedReader(clickhouse))
    expect(inputs.map((a) => a.accountId).sort()).toEqual(['acct_a', 'acct_b'])
    expect(inputs.find((a) => a.accountId === 'acct_a')?.sparse).toBeDefined()
    expect(history.get('acct_a')?.previous?.score).not.toBeUndefined()
    expect([inputs, portfolio, history]).toEqual(await read(readerOf(clickhouse)))
  })

  it('reads the same playbook facts for a list of accounts as for all of them', async () => {
    const listed = await readPlaybookFacts(clickhouse, ids, T0, null, null)
    const all = await readPlaybookFacts(clickhouse, 'all', T0, null, null)
    expect(listed.get('acct_a')).toEqual(all.get('acct_a'))
    expect(listed.get('acct_b')).toEqual(all.get('acct_b'))
    expect(listed.get('acct_a')?.lastP1TicketAt).toBe(T0 - 3 * DAY)
    expect(listed.get('acct_b')?.lastPaymentFailedAt).toBe(T0 - 6 * DAY)
    expect(listed.get('acct_a')?.csmId).toBe('csm_1')
  })

  it('a live event pass whose facts aggregates all hold makes one parameterized query; one with a new fact, two', async () => {
    const counting = countingClient(clickhouse)
    const deps = { clickhouse: counting.client, scorecard, publish: () => {}, portfolio: portfolioReader(counting.client), sparseMemo: createSparseMemo(counting.client) }
    const pass = async (asOf: number) => {
      counting.parameterized.length = 0
      const run = await scoreAccounts(deps, { accountIds: ids }, asOf, 'event', { live: true })
      return { queries: counting.parameterized.length, scored: run.records.map((r) => r.accountId).sort() }
    }
    const now = Date.now()
    // The first also reads the day's core features (kept for the day's passes) and, after the fingerprints, the
    // facts of the accounts with some.
    expect(await pass(now)).toEqual({ queries: 3, scored: ['acct_a', 'acct_b'] })
    expect(await pass(now + 1000)).toEqual({ queries: 1, scored: ['acct_a', 'acct_b'] })
    await insertEvents(clickhouse, [{ event: 'nps_submitted', accountId: 'acct_a', at: now - 60_000, properties: { score: 3, comment: null } }])
    expect(await pass(now + 2000)).toEqual({ queries: 2, scored: ['acct_a', 'acct_b'] })
    expect(await pass(now + 3000)).toEqual({ queries: 1, scored: ['acct_a', 'acct_b'] })
  })
})
