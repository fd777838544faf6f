import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { dryRunScorecard, loadScorecard, scoreAccounts, type HealthScoreChanged } from '../../processors/scoring/index.js'
import { computeScore } from '../../processors/scoring/score.js'
import { portfolioReader, readAccountInputs } from '../../processors/scoring/measure-query.js'
import { resolveScorecard, readYaml } from '../../processors/scoring/scorecard-file.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { activity, insertEvents } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
// Recent enough that the 90-day TTL of raw score rows keeps everything this test writes; at noon, so the
// crafted days (events just before T0) never straddle midnight, which made the test fail in the hour after it.
const T0 = Math.floor(Date.now() / DAY) * DAY + DAY / 2 - 45 * DAY

describe('health scoring on the real ClickHouse engine', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const published: HealthScoreChanged[] = []
  const points5 = loadScorecard({ config: 'points-5' })
  const deps = { clickhouse, scorecard: points5, publish: (c: HealthScoreChanged) => published.push(c), now: () => T0 }
  const latest = async (accountId: string) =>
    (await queryRows<Record<string, any>>(clickhouse, 'SELECT * FROM health_scores_latest FINAL WHERE account_id = {a:String}', { a: accountId }))[0]

  beforeAll(async () => {
    await migrate(clickhouse)
    const features = ['reports.export', 'dashboards.share', 'alerts.create']
    // Active every day for 30 days, then silent.
    await insertEvents(clickhouse, activity('acct_silent', { end: T0, days: 30, users: 4, features }))
    // Active every day, throughout.
    await insertEvents(clickhouse, activity('acct_steady', { end: T0 + 40 * DAY, days: 70, users: 4, features }))
    // The portfolio sends billing, support and email events, so those components have data.
    await insertEvents(clickhouse, [
      { event: 'invoice_paid', accountId: 'acct_steady', at: T0 - 20 * DAY, properties: { invoiceId: 'in_1', amountCents: 1000, currency: 'USD', dueDate: null, daysLate: 0 } },
      { event: 'support_ticket_opened', accountId: 'acct_steady', at: T0 - 5 * DAY, properties: { ticketId: 'T1', severity: 'P3', channel: 'EMAIL', category: null } },
      ...Array.from({ length: 10 }, (_, i) => ({ event: 'email_engaged', accountId: 'acct_steady', at: T0 - i * DAY, properties: { emailId: 'e', campaignId: null, engagement: 'OPEN' } })),
      ...Array.from({ length: 10 }, (_, i) => ({ event: 'email_engaged', accountId: 'acct_silent', at: T0 - i * DAY - 3600_000, properties: { emailId: 'e', campaignId: null, engagement: 'OPEN' } })),
    ])
  })
  afterAll(() => clickhouse.close())

  it('scores an active account Healthy with every points-5 component explained', async () => {
    const run = await scoreAccounts(deps, { accountIds: ['acct_silent'] }, T0, 'event')
    const r = run.records[0]
    expect(r.status).toBe('OK')
    expect(r.coverage).toBeCloseTo(1)
    expect(r.tier).toBe('Healthy')
    // With every component backed by data the points are the published table's.
    expect(Object.fromEntries(r.components.map((c) => [c.name, [c.value, c.label, c.points]]))).toEqual({
      usage: [30, 'daily active', 30], // active all 30 days
      feature_adoption: [1, 'all core features', 25], // the three features every account uses are the core ones
      support: ['NEUTRAL', 'NEUTRAL', 15], // a P3 ticket, no sentiment or CSAT
      engagement: [10, 'high email engagement', 15],
      payment: ['CURRENT', 'CURRENT', 10],
    })
    expect(r.score).toBe(95)
  })

  it('lets a silent account fall through the sweep alone, day by day, while a steady one stays', async () => {
    const tiers: string[] = []
    const directions: string[] = []
    for (let d = 1; d <= 40; d++) {
      const run = await scoreAccounts({ ...deps, now: () => T0 + d * DAY }, { all: true }, T0 + d * DAY, 'sweep')
      const silent = run.records.find((r) => r.accountId === 'acct_silent')!
      tiers.push(silent.tier!)
      directions.push(silent.trend.direction)
      expect(run.records.find((r) => r.accountId === 'acct_steady')!.tier).toBe('Healthy')
    }
    expect(tiers[0]).toBe('Healthy')
    expect(tiers.at(-1)).toBe('Critical')
    const s = await latest('acct_silent')
    expect(s.tier).toBe('Critical')
    expect(directions.slice(0, 3)).toEqual(['STABLE', 'STABLE', 'STABLE'])
    expect(directions).toContain('DECLINING')
    expect(s.change_30d).toBeLessThan(-40)
    expect(JSON.parse(s.measures).active_days_30d).toBe(0)
    // Tier changes reached subscribers along the way.
    expect(published.filter((p) => p.accountId === 'acct_silent' && p.tier !== p.previousTier).map((p) => p.tier)).toEqual(expect.arrayContaining(['Stable', 'Critical']))
  })

  it('writes one history row per account and as-of time, however often a job is processed', async () => {
    const asOf = T0 + 40 * DAY + 3600_000
    const first = await scoreAccounts(deps, { accountIds: ['acct_steady'] }, asOf, 'event')
    const again = await scoreAccounts(deps, { accountIds: ['acct_steady'] }, asOf, 'event')
    expect(first.records).toHaveLength(1)
    expect(again).toMatchObject({ records: [], skipped: 1 })
    const rows = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM health_scores WHERE account_id = {a:String} AND as_of = {t:DateTime64(3, 'UTC')}`, {
      a: 'acct_steady',
      t: new Date(asOf).toISOString().replace('T', ' ').replace('Z', ''),
    })
    expect(Number(rows[0].n)).toBe(1)
  })

  it('dry-runs a candidate scorecard: both scores per account and the tier matrix, writing nothing', async () => {
    const candidate = resolveScorecard(readYaml('candidate.yaml', 'preset: points-5\ntiers:\n  - { name: Good, min: 50, max: 100 }\n  - { name: Bad, min: 0, max: 49 }\n'))
    const asOf = T0 + 40 * DAY + 2 * 3600_000
    const count = async () => Number((await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM health_scores'))[0].n)
    const before = await count()
    const sent = published.length
    const run = await dryRunScorecard({ clickhouse, scorecard: points5 }, candidate, { all: true }, asOf)
    expect(await count()).toBe(before)
    expect(published.length).toBe(sent)
    expect(run.current.version).toBe(points5.version)
    expect(run.candidate.version).toBe(candidate.version)
    const steady = run.accounts.find((a) => a.accountId === 'acct_steady')!
    const silent = run.accounts.find((a) => a.accountId === 'acct_silent')!
    expect(steady.current.tier).toBe('Healthy')
    expect(steady.candidate.tier).toBe('Good')
    expect(silent.current.tier).toBe('Critical')
    expect(silent.candidate.tier).toBe('Bad')
    // Under a new version smoothing starts afresh, so the candidate shows its raw score, as a re-score would.
    expect(silent.candidate.score).toBe(Math.round(computeScore(candidate.card, JSON.parse((await latest('acct_silent')).measures)).score!))
    expect(run.matrix).toEqual([
      { from: 'Healthy', to: 'Good', accounts: 1 },
      { from: 'Critical', to: 'Bad', accounts: 1 },
    ])
    expect(run).toMatchObject({ accountsScored: 2, tierChanges: 2, currentTiers: ['Healthy', 'Stable', 'At-risk', 'Critical'], candidateTiers: ['Good', 'Bad'] })
    const one = await dryRunScorecard({ clickhouse, scorecard: points5 }, points5, { accountIds: ['acct_steady'] }, asOf)
    expect(one).toMatchObject({ accountsScored: 1, tierChanges: 0, scoreChanges: 0, matrix: [{ from: 'Healthy', to: 'Healthy', accounts: 1 }] })
  })

  it('re-scores every account with an edited scorecard, the new rows carrying its version', async () => {
    const edited = resolveScorecard({ ...readYaml('points-5.yaml', 'preset: points-5\ntiers:\n  - { name: Good, min: 50, max: 100 }\n  - { name: Bad, min: 0, max: 49 }\n') })
    expect(edited.version).not.toBe(points5.version)
    const asOf = T0 + 40 * DAY + 3600_000 // the same time as before: a new version is scored all the same
    const run = await scoreAccounts({ ...deps, scorecard: edited }, { all: true }, asOf, 'rescore')
    expect(run.records.map((r) => r.accountId).sort()).toEqual(['acct_silent', 'acct_steady'])
    const versions = await queryRows<{ v: string }>(clickhouse, 'SELECT DISTINCT scorecard_version AS v FROM health_scores_latest FINAL')
    expect(versions).toEqual([{ v: edited.version }])
    expect((await latest('acct_steady')).tier).toBe('Good')
  })

  it('leaves components without data out and says INSUFFICIENT_DATA below the minimum coverage', async () => {
    // Only product usage: billing, support and email are sent for other accounts, but this one has no seats.
    const pillars = loadScorecard({ config: 'pillars-3' })
    await insertEvents(clickhouse, activity('acct_new', { end: T0 + 41 * DAY, days: 2, users: 1, features: ['reports.export'] }))
    const run = await scoreAccounts({ ...deps, scorecard: pillars }, { accountIds: ['acct_new'] }, T0 + 41 * DAY, 'event')
    const r = run.records[0]
    expect(r.status).toBe('INSUFFICIENT_DATA')
    expect(r.score).toBeNull()
    expect(r.tier).toBeNull()
    expect(r.missing).toEqual(expect.arrayContaining(['product.adoption', 'product.trend', 'financial.license_use', 'support.nps']))
    expect(r.coverage).toBeLessThan(pillars.card.minimumCoverage)
  })

  it('reads the same inputs live (the as-of day from the rollup) as from the raw events, when nothing is newer', async () => {
    const now = Date.now()
    await insertEvents(clickhouse, activity('acct_today', { end: now - 60_000, days: 3, users: 3, features: ['reports.export', 'alerts.create'] }))
    const exact = await readAccountInputs(clickhouse, { all: true }, new Date(now), false)
    const live = await readAccountInputs(clickhouse, { all: true }, new Date(now), true)
    expect(live.find((a) => a.accountId === 'acct_today')?.usage).toMatchObject({ activeDays7: 3, activeUsers30: 3 })
    const sorted = (xs: typeof exact) => xs.map((a) => ({ ...a, usage: a.usage && { ...a.usage, features30: [...a.usage.features30].sort() } })).sort((a, b) => a.accountId.localeCompare(b.accountId))
    expect(sorted(live)).toEqual(sorted(exact))
    // As of a past time, only the exact read leaves out what came later.
    const earlier = await readAccountInputs(clickhouse, { accountIds: ['acct_today'] }, new Date(now - 2 * DAY + 3_600_000), false)
    expect(earlier[0].usage).toMatchObject({ activeDays7: 1 })
  })

  it('counts a source the portfolio starts sending between two passes of one worker', async () => {
    // One reader for both passes, as the worker keeps one: nothing it remembers may hide the new source.
    const portfolio = portfolioReader(clickhouse)
    const now = Date.now()
    await insertEvents(clickhouse, activity('acct_sources', { end: now - 120_000, days: 2, users: 2, features: ['reports.export'] }))
    const first = await scoreAccounts({ ...deps, portfolio, now: () => now }, { accountIds: ['acct_sources'] }, now, 'event', { live: true })
    // No account has logged a CSM touch yet: the measure has no data rather than "never touched".
    expect(first.records[0].measures.days_since_csm_touch).toBeNull()
    await insertEvents(clickhouse, [{ event: 'csm_activity_logged', accountId: 'acct_other', at: now - 60_000, properties: { csmId: 'csm_1', activity: 'CALL', note: null } }])
    const second = await scoreAccounts({ ...deps, portfolio, now: () => now + 1000 }, { accountIds: ['acct_sources'] }, now + 1000, 'event', { live: true })
    expect(second.records[0].measures.days_since_csm_touch).toBe(1)
  })
})
