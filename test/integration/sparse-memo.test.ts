import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { batchedReader, readerOf } from '../../processors/batched-rows.js'
import { chTime } from '../../processors/clickhouse-time.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { factsRead, readAccountInputs, selectionFilter, sparseSql } from '../../processors/scoring/measure-query.js'
import { createSparseMemo, type SparseMemo } from '../../processors/scoring/sparse-memo.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { activity, insertEvents, type TestEvent } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'
import { randomFacts } from '../support/random-facts.js'

const DAY = 86_400_000
const HOUR = 3_600_000
const T0 = Math.floor(Date.now() / DAY) * DAY - 200 * DAY

// The memo of live passes' facts aggregates against reading them, on the real ClickHouse engine: a seeded walk
// of a year of facts forward through time (minutes, days, exactly onto the next time an aggregate may change
// and the millisecond before), with facts arriving late, on time and dated in the future, merges, a month's
// latest fact landing after its fact, and a step back in time. After every step each account's aggregates
// from the memo must be exactly what a read gives, and the memo must have held most of them.
describe('the memo of facts aggregates, on the real ClickHouse engine', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const { random, pick, factOf } = randomFacts(7)
  const accounts = Array.from({ length: 16 }, (_, i) => `acct_m${i}`)
  const counts = { held: 0, read: 0 }
  const memo = createSparseMemo(clickhouse, { onPlan: (held, read) => ((counts.held += held), (counts.read += read)) })
  const small = createSparseMemo(clickhouse, { maxAccounts: 5 })

  beforeAll(async () => {
    await migrate(clickhouse)
    const facts: TestEvent[] = []
    for (const [i, accountId] of accounts.entries()) for (let k = 0; k < 20 + 10 * (i % 4); k++) facts.push(factOf(accountId, T0 - Math.floor(random() * 400 * DAY)))
    await insertEvents(clickhouse, facts)
  })
  afterAll(() => clickhouse.close())

  const aggregates = (inputs: { accountId: string; sparse?: Record<string, any> }[]) =>
    Object.fromEntries(inputs.map((a) => { const { asOf: _a, nextChange: _n, ...rest } = a.sparse ?? {}; return [a.accountId, JSON.stringify(rest)] }))
  // `batched`: as an event pass makes it, the fingerprints in the query of the pass's other reads and the plan
  // still being made as they start; otherwise made first, alone.
  const compare = async (m: SparseMemo, t: number, what: string, batched = false) => {
    const selection = { accountIds: accounts }
    const reader = batched ? batchedReader(clickhouse) : readerOf(clickhouse)
    const planned = m.plan(accounts, t, batched ? reader : undefined)
    const viaMemo = aggregates(await readAccountInputs(clickhouse, selection, new Date(t), false, reader, batched ? planned : await planned))
    const plan = await planned
    const read = aggregates(await readAccountInputs(clickhouse, selection, new Date(t)))
    expect(Object.keys(read).length, what).toBeGreaterThan(0)
    expect(viaMemo, what).toEqual(read)
    return plan.held.length
  }
  // A sweep's plan (every account), on the memo the event passes use, as the scoring worker shares it.
  const sweeps = { readAll: 0, listed: 0, held: 0, read: 0 }
  const compareAll = async (m: SparseMemo, t: number, what: string) => {
    // As a sweep passes it: still being made while the other reads start.
    const planned = m.plan('all', t)
    const viaMemo = aggregates(await readAccountInputs(clickhouse, { all: true }, new Date(t), false, readerOf(clickhouse), planned))
    const plan = await planned
    const read = aggregates(await readAccountInputs(clickhouse, { all: true }, new Date(t)))
    expect(Object.keys(read).length, what).toBe(accounts.length)
    expect(viaMemo, what).toEqual(read)
    return plan
  }
  const nextChangeOf = async (accountId: string, t: number) => {
    const { filter, params } = selectionFilter({ accountIds: [accountId] })
    const [row] = await queryRows<{ nextChange: string | null }>(clickhouse, sparseSql(filter, factsRead(filter), true), { asOfs: [chTime(new Date(t))], ...params })
    return row?.nextChange ? Number(row.nextChange) : undefined
  }

  it('gives exactly what a read gives at every step of a walk through a year, and holds most accounts', async () => {
    let t = T0
    const did: Record<string, number> = {}
    for (let step = 0; step < 70; step++) {
      const r = random()
      let what: string
      if (r < 0.25) {
        t += 60_000 + Math.floor(random() * 8 * HOUR)
        what = 'minutes to hours later'
      } else if (r < 0.4) {
        t += Math.floor((1 + random() * 24) * DAY)
        what = 'days later'
      } else if (r < 0.6) {
        const next = await nextChangeOf(pick(accounts), t)
        if (next === undefined) continue
        t = next - (random() < 0.5 ? 1 : 0)
        what = 'at (or a millisecond before) the next change'
      } else if (r < 0.8) {
        // Now: the first at the very as-of time, the others a millisecond apart before it (no two facts of a
        // kind at the same millisecond: those have no latest, in either read).
        const when = pick([(_: number) => t - Math.floor(random() * 400 * DAY), (i: number) => t - i, (_: number) => t + 60_000 + Math.floor(random() * 10 * DAY)])
        await insertEvents(clickhouse, Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) => factOf(pick(accounts), when(i))))
        what = 'new facts: late, now or dated ahead'
      } else if (r < 0.87) {
        await clickhouse.command({ query: `OPTIMIZE TABLE ${pick(['account_facts', 'account_latest_facts'])} FINAL` })
        what = 'merged'
      } else if (r < 0.95) {
        // A month's latest fact landing after the fact itself (each view's part commits on its own).
        const month = new Date(t - (40 + Math.floor(random() * 200)) * DAY)
        const at = Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 27)
        await clickhouse.insert({
          table: 'account_latest_facts',
          format: 'JSONEachRow',
          values: [{ account_id: pick(accounts), event: 'seats_updated', month: new Date(at).toISOString().slice(0, 10), invoice: '', retries_exhausted: 0, timestamp: chTime(new Date(at)), message_id: `late_${step}`, properties: JSON.stringify({ seatsPurchased: 1000 + step, seatsActive: 3 }) }],
        })
        what = "a month's latest fact after its fact"
      } else {
        // Held aggregates are as of a time and after: a memo that read everything as of now holds nothing a
        // millisecond before (then holds it all again).
        const fresh = createSparseMemo(clickhouse)
        await compare(fresh, t, 'now, a new memo')
        expect(await compare(fresh, t - 1, 'a millisecond back'), 'nothing held as of a later time').toBe(0)
        what = 'a millisecond back'
      }
      did[what] = (did[what] ?? 0) + 1
      // A sweep on every other step (before or after the event pass), so each reuses what the other read.
      if (step % 2 === 0) await compare(memo, t, `step ${step}: ${what}`)
      if (step % 4 < 2) {
        const plan = await compareAll(memo, t, `step ${step}, a sweep: ${what}`)
        sweeps[plan.readAll ? 'readAll' : 'listed']++
        sweeps.held += plan.held.length
        sweeps.read += plan.toRead.length
      }
      if (step % 2 === 1) await compare(memo, t, `step ${step}: ${what}`, true)
      await compare(small, t, `step ${step}, a memo of 5 accounts: ${what}`)
      // A sweep over more accounts than a memo holds reads them all and keeps none of them.
      const sizeBefore = small.size
      expect((await compareAll(small, t, `step ${step}, a sweep with a memo of 5 accounts: ${what}`)).held).toEqual([])
      expect(small.size).toBe(sizeBefore)
      expect(small.size).toBeLessThanOrEqual(5)
    }
    expect(Object.keys(did).length).toBe(7)
    expect(counts.held).toBeGreaterThan(counts.read)
    expect(counts.read).toBeGreaterThan(accounts.length)
    // Sweeps both read every account (the first, and after a long step) and read only those that did not hold.
    expect(sweeps.readAll).toBeGreaterThan(0)
    expect(sweeps.listed).toBeGreaterThan(0)
    expect(sweeps.held).toBeGreaterThan(sweeps.read)
    // ~70 steps of ~10 reads each: 50–60 s on two cores, too close to the suite's 60-s default.
  }, 180_000)

  // After the walk: this account would count among a sweep's there.
  it('reads nothing for an account with no facts, and reads it once it has one', async () => {
    const t = Date.now()
    const listed = ['acct_nofacts', 'acct_m0']
    await insertEvents(clickhouse, activity('acct_nofacts', { end: t - 60_000, days: 3, users: 2, features: ['reports.export'] }))
    const fresh = createSparseMemo(clickhouse)
    const same = async (at: number, plan: Awaited<ReturnType<SparseMemo['plan']>>) => {
      const viaMemo = aggregates(await readAccountInputs(clickhouse, { accountIds: listed }, new Date(at), false, readerOf(clickhouse), plan))
      expect(viaMemo).toEqual(aggregates(await readAccountInputs(clickhouse, { accountIds: listed }, new Date(at))))
      return viaMemo
    }
    const first = await fresh.plan(listed, t)
    expect(first.toRead).toEqual(['acct_m0'])
    expect((await same(t, first)).acct_nofacts).toBe('{}')
    expect((await fresh.plan(listed, t + 1)).toRead).toEqual([])
    // Its first fact, dated ahead: read at once, though it counts only from its time on.
    await insertEvents(clickhouse, [factOf('acct_nofacts', t + DAY)])
    const next = await fresh.plan(listed, t + 2)
    expect(next.toRead).toEqual(['acct_nofacts'])
    await same(t + 2, next)
  })
})
