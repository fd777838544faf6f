import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { accountsChangedSince, clickhouseNow, readPlaybookFacts } from '../../processors/playbooks/account-facts.js'
import { accountStateOf } from '../../processors/playbooks/account-state-of.js'
import { runRule } from '../../processors/playbooks/evaluate-rule.js'
import type { PlannedTask } from '../../processors/playbooks/planned-actions.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents } from '../support/event-rows.js'
import { tempDir } from '../support/fixtures.js'

const DAY = 86_400_000
const T = Date.parse('2026-06-15T12:00:00Z')
const dayOf = (ms: number) => Math.floor(ms / DAY) * DAY

describe('what playbook rules read of an account (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  beforeAll(async () => {
    await migrate(clickhouse)
    await insertEvents(clickhouse, [
      { event: 'account_updated', accountId: 'a', at: T - 90 * DAY, properties: { name: 'A', segment: 'SMB', industry: null, csmId: 'csm_1', signupDate: Math.floor((T - 100 * DAY) / DAY), country: null } },
      { event: 'onboarding_milestone_reached', accountId: 'a', at: T - 80 * DAY, properties: { milestoneId: 'setup_completed', stepNumber: 1, totalSteps: 3 } },
      // Reached twice: the first time counts.
      { event: 'onboarding_milestone_reached', accountId: 'a', at: T - 70 * DAY, properties: { milestoneId: 'setup_completed', stepNumber: 1, totalSteps: 3 } },
      { event: 'feature_used', accountId: 'a', userId: 'u1', at: T - 40 * DAY, properties: { feature: 'reports.export', durationMs: null } },
      { event: 'feature_used', accountId: 'a', userId: 'u1', at: T - 3 * DAY, properties: { feature: 'reports.export', durationMs: null } },
      { event: 'feature_used', accountId: 'a', userId: 'u2', at: T - 35 * DAY, properties: { feature: 'dashboards.share', durationMs: null } },
      { event: 'payment_failed', accountId: 'a', at: T - 20 * DAY, properties: { invoiceId: 'in_1', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'payment_failed', accountId: 'a', at: T - 5 * DAY, properties: { invoiceId: 'in_2', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } },
      { event: 'support_ticket_opened', accountId: 'a', at: T - 10 * DAY, properties: { ticketId: 't1', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'support_ticket_opened', accountId: 'a', at: T - 2 * DAY, properties: { ticketId: 't2', severity: 'P3', channel: 'EMAIL', category: null } },
      // After the as-of time: not seen.
      { event: 'support_ticket_opened', accountId: 'a', at: T + DAY, properties: { ticketId: 't3', severity: 'P1', channel: 'EMAIL', category: null } },
      { event: 'onboarding_milestone_reached', accountId: 'a', at: T + DAY, properties: { milestoneId: 'training_scheduled', stepNumber: 2, totalSteps: 3 } },
      // An account with no traits: signup is its first event.
      { event: 'user_login', accountId: 'b', userId: 'u9', at: T - 12 * DAY, properties: { method: 'SSO', mfa: false } },
    ])
  }, 120_000)
  afterAll(() => clickhouse.close())

  it('reads milestones, last feature use by day, the last failed payment and P1 ticket, and the signup, as of a time', async () => {
    const facts = await readPlaybookFacts(clickhouse, ['a', 'b', 'nobody'], T)
    expect(facts.get('a')).toEqual({
      csmId: 'csm_1',
      signupAt: dayOf(T - 100 * DAY),
      milestones: { setup_completed: T - 80 * DAY },
      featureLastUsed: { 'reports.export': dayOf(T - 3 * DAY), 'dashboards.share': dayOf(T - 35 * DAY) },
      lastPaymentFailedAt: T - 5 * DAY,
      lastP1TicketAt: T - 10 * DAY,
    })
    expect(facts.get('b')).toEqual({ csmId: null, signupAt: T - 12 * DAY, milestones: {}, featureLastUsed: {}, lastPaymentFailedAt: null, lastP1TicketAt: null })
    expect(facts.get('nobody')).toEqual({ csmId: null, signupAt: null, milestones: {}, featureLastUsed: {}, lastPaymentFailedAt: null, lastP1TicketAt: null })
    // A sweep reads every account at once, and only the features rules look at: the same facts.
    const everyone = await readPlaybookFacts(clickhouse, 'all', T, ['reports.export'])
    expect(everyone.get('a')).toEqual({ ...facts.get('a'), featureLastUsed: { 'reports.export': dayOf(T - 3 * DAY) } })
    expect(everyone.get('b')).toEqual(facts.get('b'))
    expect(everyone.has('nobody')).toBe(false)
    expect((await readPlaybookFacts(clickhouse, ['a'], T, [])).get('a')!.featureLastUsed).toEqual({})
    // Rules asking about 30 days at most: the use 35 days ago is outside every window, so it is not read.
    expect((await readPlaybookFacts(clickhouse, ['a'], T, null, 30 * DAY)).get('a')!.featureLastUsed).toEqual({ 'reports.export': dayOf(T - 3 * DAY) })
    expect((await readPlaybookFacts(clickhouse, ['a'], T, null, 40 * DAY)).get('a')!.featureLastUsed).toEqual(facts.get('a')!.featureLastUsed)
    // Reads no rule needs are not made: their facts stay empty, the rest are the same.
    const lean = (await readPlaybookFacts(clickhouse, ['a'], T, null, null, { billingAndSupport: false, milestones: false })).get('a')!
    expect(lean).toEqual({ ...facts.get('a'), milestones: {}, lastPaymentFailedAt: null, lastP1TicketAt: null })
    const everyoneLean = await readPlaybookFacts(clickhouse, 'all', T, null, null, { billingAndSupport: false, milestones: true })
    expect(everyoneLean.get('a')).toEqual({ ...facts.get('a'), lastPaymentFailedAt: null, lastP1TicketAt: null })
    // A day later the later P1 and milestone are there.
    const later = (await readPlaybookFacts(clickhouse, ['a'], T + 2 * DAY)).get('a')!
    expect(later.lastP1TicketAt).toBe(T + DAY)
    expect(later.milestones).toEqual({ setup_completed: T - 80 * DAY, training_scheduled: T + DAY })
  })
  it('turns the facts and a score into the state the default rules judge: a stalled onboarding fires, then clears once the milestone arrives', async () => {
    const { rules } = loadRules({ scorecard: loadScorecard({ config: 'pulse' }).card, config: 'default' })
    const stalled = rules.rules.find((r) => r.id === 'onboarding-training-stalled')!
    const stateAt = async (asOf: number) =>
      accountStateOf({
        record: { accountId: 'a', asOf, segment: 'SMB', score: 70, tier: 'Stable', measures: { days_to_renewal: 200, seats_active: 5, seats_purchased: 10 } },
        churnProbability: null,
        keyFeatures: ['reports.export'],
        facts: (await readPlaybookFacts(clickhouse, ['a'], asOf)).get('a')!,
      })
    const now = await stateAt(T)
    expect(now).toMatchObject({ now: T, daysToRenewal: 200, seatsActive: 5, seatsPurchased: 10, csmId: 'csm_1', lastP1TicketAt: T - 10 * DAY })
    const fired = runRule(stalled, { previous: undefined, current: now, episode: undefined, owners: rules })
    expect(fired.fires).toBe(true)
    expect(fired.actions.filter((a): a is PlannedTask => a.type === 'task').map((t) => [t.taskId, t.assignee])).toEqual([['schedule-training', 'csm_1']])
    // training_scheduled arrives the next day: the condition clears.
    const later = runRule(stalled, { previous: now, current: await stateAt(T + 2 * DAY), episode: fired.episode, owners: rules })
    expect(later.fires).toBe(false)
    expect(later.verdict).toMatchObject({ cleared: true })
  })

  it('names the accounts whose facts may have changed since a read: events stored since, and events come due since — not those a merge rewrote', async () => {
    await new Promise((r) => setTimeout(r, 20))
    const readAt = await clickhouseNow(clickhouse)
    expect(await accountsChangedSince(clickhouse, readAt, T, T, 0)).toEqual([])
    // A merge rewrites every stored event into a new part; the accounts' facts did not change.
    await clickhouse.command({ query: 'OPTIMIZE TABLE events FINAL' })
    expect(Number((await queryRows<{ n: string }>(clickhouse, "SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active AND level > 0"))[0].n)).toBeGreaterThan(0)
    expect(await accountsChangedSince(clickhouse, readAt, T, T, 0)).toEqual([])
    await insertEvents(clickhouse, [{ event: 'payment_failed', accountId: 'c', at: T - DAY, properties: { invoiceId: 'in_9', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } }])
    expect(await accountsChangedSince(clickhouse, readAt, T, T, 0)).toEqual(['c'])
    // ... and a merge after it still names 'c' alone.
    await clickhouse.command({ query: 'OPTIMIZE TABLE events FINAL' })
    expect(await accountsChangedSince(clickhouse, readAt, T, T, 0)).toEqual(['c'])
    // 'a' has events timed a day after T, stored long ago: they come due when the as-of time passes them.
    expect((await accountsChangedSince(clickhouse, readAt, T, T + 2 * DAY, 0)).sort()).toEqual(['a', 'c'])
    // The margin (5 minutes) re-reads what was stored shortly before the read, for inserts under way during it:
    // here everything was stored moments before.
    expect((await accountsChangedSince(clickhouse, readAt, T, T)).sort()).toEqual(['a', 'b', 'c'])
  })
})
