import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { chTime } from '../../processors/clickhouse-time.js'
import { everyFact, sparseSql } from '../../processors/scoring/measure-query.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents, type TestEvent } from '../support/event-rows.js'
import { randomFacts } from '../support/random-facts.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
const T = Math.floor(Date.now() / DAY) * DAY - DAY / 2

// The read bounded per kind (recent facts; older months' latest facts and invoices from account_latest_facts)
// against every fact an account ever sent, on generated accounts with facts over 30 months: the same row for
// every account and as-of time, including as-of times where a bound moves (a month's first millisecond; 30
// and 90 days after a month's start) and the millisecond before, facts exactly on month starts, and facts of
// old months arriving in later inserts.
describe('the bounded facts read against every fact, on the real ClickHouse engine', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const { random, factOf } = randomFacts(42)
  const monthStart = (ms: number, back = 0) => { const d = new Date(ms); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1) }
  const edges = [monthStart(T), monthStart(T, 1), monthStart(T, 2), monthStart(T, 4), monthStart(T, 5), monthStart(T, 7), monthStart(T, 1) + 30 * DAY, monthStart(T, 2) + 30 * DAY, monthStart(T, 4) + 90 * DAY]
  const accounts = Array.from({ length: 30 }, (_, i) => `acct_r${i}`)

  beforeAll(async () => {
    await migrate(clickhouse)
    // Three inserts, each with facts of every month: old months gain rows after their first.
    for (let batch = 0; batch < 3; batch++) {
      const facts: TestEvent[] = []
      for (const [i, accountId] of accounts.entries()) {
        const months = 1 + (i % 30)
        for (let k = 0; k < 25; k++) facts.push(factOf(accountId, T - Math.floor(random() * months * 30 * DAY)))
        // On the edges once: two facts of a kind at the same millisecond have no latest, in either read.
        if (batch === 0) for (const edge of edges) if (random() < 0.5) facts.push(factOf(accountId, edge))
      }
      // A failure without retries, then one with, of the same invoice in a month: still out of retries.
      if (batch === 0) {
        for (const [days, nextRetryAt] of [[1, null], [2, 99]] as const) {
          facts.push({ event: 'payment_failed', accountId: 'acct_r0', at: monthStart(T, 10) + days * DAY, properties: { invoiceId: 'in_ex', amountCents: 5000, currency: 'EUR', nextRetryAt } })
        }
      }
      await insertEvents(clickhouse, facts)
    }
  })
  afterAll(() => clickhouse.close())

  const read = async (sql: string, asOfs: number[]) => {
    const rows = await queryRows<Record<string, unknown>>(clickhouse, sql, { asOfs: asOfs.map((t) => chTime(new Date(t))) })
    return rows.map((r) => JSON.stringify(r)).sort()
  }

  it.each([
    ['now', [T]],
    ['a batch of as-of times 400 days apart', [T - 400 * DAY, T - 45 * DAY, T]],
    ["a month's first millisecond", [monthStart(T, 1)]],
    ['30 days after the start of a month', [monthStart(T, 2) + 30 * DAY]],
    ['the millisecond before it', [monthStart(T, 2) + 30 * DAY - 1]],
    ['90 days after the start of a month (where the invoices\' bound moves)', [monthStart(T, 4) + 90 * DAY]],
    ['the millisecond before that', [monthStart(T, 4) + 90 * DAY - 1]],
    ['seven months back', [monthStart(T, 7) + 3 * DAY]],
  ])('gives every account the same facts as every fact does: %s', async (_, asOfs) => {
    const bounded = await read(sparseSql(''), asOfs)
    const every = await read(sparseSql('', everyFact('')), asOfs)
    expect(every.length).toBeGreaterThan(asOfs.length * 10)
    expect(bounded).toEqual(every)
  })

  it('keeps of older months one fact per account, kind, month and invoice', async () => {
    const [{ rows, keys }] = await queryRows<{ rows: string; keys: string }>(clickhouse, 'SELECT count() AS rows, uniqExact(account_id, event, month, invoice, retries_exhausted) AS keys FROM account_latest_facts FINAL')
    expect(Number(rows)).toBe(Number(keys))
    expect(Number(keys)).toBeGreaterThan(200)
  })
})
