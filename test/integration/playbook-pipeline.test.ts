import fs from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import type { PredictionRecord } from '../../processors/churn/index.js'
import { ActionDispatcher } from '../../processors/playbooks/dispatch.js'
import { createPlaybookRunner, type PlaybookRunner } from '../../processors/playbooks/playbook-runner.js'
import type { PlannedAction, PlannedAlert, PlannedTask } from '../../processors/playbooks/planned-actions.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import { portfolioReader } from '../../processors/scoring/measure-query.js'
import { scoreAccounts, type ScoringDeps } from '../../processors/scoring/score-accounts.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { activity, insertEvents, type TestEvent } from '../support/event-rows.js'
import { tempDir, uniqueName } from '../support/fixtures.js'

const DAY = 86_400_000
const T = Date.parse('2026-03-02T09:00:00Z')
const day = (ms: number) => Math.floor(ms / DAY)
const scorecard = loadScorecard({ config: 'pulse' })
const defaults = loadRules({ scorecard: scorecard.card, config: 'default' }).rules

const subscription = (accountId: string, at: number, renewalInDays: number): TestEvent => ({
  event: 'subscription_updated', accountId, at,
  properties: { plan: 'pro_annual', mrrCents: 100_000, currency: 'EUR', termMonths: 12, renewalDate: day(at) + renewalInDays, autoRenew: true, status: 'ACTIVE', previousMrrCents: null },
})
const profile = (accountId: string, at: number, signupDaysAgo: number): TestEvent => ({
  event: 'account_updated', accountId, at, properties: { name: accountId, segment: 'MID_MARKET', industry: null, csmId: 'csm_ana', signupDate: day(at) - signupDaysAgo, country: null },
})
const seats = (accountId: string, at: number, purchased: number, active: number): TestEvent => ({
  event: 'seats_updated', accountId, at, properties: { seatsPurchased: purchased, seatsActive: active, previousSeatsPurchased: null, previousSeatsActive: null },
})
const onboarded = (accountId: string, at: number): TestEvent[] =>
  ['setup_completed', 'training_scheduled', 'onboarding_completed'].map((milestoneId, i) => ({ event: 'onboarding_milestone_reached', accountId, at: at + i * DAY, properties: { milestoneId, stepNumber: i + 1, totalSteps: 3 } }))

/** Crafted histories, each aimed at one default rule or playbook. */
const HISTORY: TestEvent[] = [
  // A customer who signed up yesterday and has not done the technical setup: onboarding, then its stall flags.
  profile('acct_new', T - DAY, 1),
  ...activity('acct_new', { end: T - 3_600_000, days: 1, users: 2, features: ['reports.export'] }),
  // A healthy, onboarded account a year in, renewal far away.
  profile('acct_healthy', T - 300 * DAY, 365),
  ...onboarded('acct_healthy', T - 360 * DAY),
  subscription('acct_healthy', T - 100 * DAY, 300),
  seats('acct_healthy', T - 10 * DAY, 10, 10),
  ...activity('acct_healthy', { end: T - 3_600_000, days: 30, users: 10, features: ['reports.export', 'dashboards.share'] }),
  // Renewal in 100 days: the renewal playbook.
  profile('acct_renewal', T - 300 * DAY, 365),
  ...onboarded('acct_renewal', T - 360 * DAY),
  subscription('acct_renewal', T - 20 * DAY, 100),
  seats('acct_renewal', T - 10 * DAY, 10, 9),
  ...activity('acct_renewal', { end: T - 3_600_000, days: 30, users: 9, features: ['reports.export', 'dashboards.share'] }),
  // 13 seats in use of 10 bought: expansion.
  profile('acct_expansion', T - 300 * DAY, 365),
  ...onboarded('acct_expansion', T - 360 * DAY),
  subscription('acct_expansion', T - 100 * DAY, 300),
  seats('acct_expansion', T - 2 * DAY, 10, 13),
  ...activity('acct_expansion', { end: T - 3_600_000, days: 30, users: 13, features: ['reports.export', 'dashboards.share'] }),
  // Used to be busy, silent for 40 days.
  profile('acct_silent', T - 300 * DAY, 365),
  ...onboarded('acct_silent', T - 360 * DAY),
  subscription('acct_silent', T - 100 * DAY, 300),
  seats('acct_silent', T - 60 * DAY, 10, 10),
  ...activity('acct_silent', { end: T - 40 * DAY, days: 30, users: 10, features: ['reports.export', 'dashboards.share'] }),
]

describe('playbooks on the scoring path and the sweep (real Redis, ClickHouse engine, scoring passes)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const redis = [new Redis(inject('redisUrl')), new Redis(inject('redisUrl'))]
  const scoring: ScoringDeps = { clickhouse, scorecard, publish: () => {}, portfolio: portfolioReader(clickhouse), now: () => T }
  beforeAll(async () => {
    await migrate(clickhouse)
    await insertEvents(clickhouse, HISTORY)
  }, 120_000)
  afterAll(async () => {
    for (const r of redis) r.disconnect()
    await clickhouse.close()
  })

  /** A sweep at `asOf`: every account scored, then the playbooks told, as the sweep worker does. */
  const sweep = async (runner: PlaybookRunner, asOf: number) => {
    const run = await scoreAccounts({ ...scoring, now: () => asOf }, { all: true }, asOf, 'sweep')
    return { run, actions: await runner.afterScoring({ records: run.records, keyFeatures: run.keyFeatures }) }
  }

  const keysOf = (actions: PlannedAction[]) => actions.map((a) => a.key)
  const fired = (actions: PlannedAction[]) => new Set(actions.filter((a) => a.type === 'alert').map((a) => `${a.ruleId} ${(a as PlannedAlert).target.type === 'account' ? (a.target as { accountId: string }).accountId : ''}`))
  const opened = (actions: PlannedAction[]) => new Set(actions.filter((a): a is PlannedTask => a.type === 'task').map((t) => `${t.ruleId}/${t.taskId} ${t.accountId}`))

  it('fires each default rule and playbook on its crafted history once, the time-based ones as the sweep\'s clock reaches them; the dispatcher stores them for the CSM', async () => {
    const prefix = uniqueName('pb')
    const runner = await createPlaybookRunner({ clickhouse, redis: redis[0], prefix, rules: defaults, now: () => T })
    const passes: Record<string, PlannedAction[]> = {}
    for (const [name, at] of [['first', T], ['an hour later', T + 3_600_000], ['day 15', T + 15 * DAY], ['day 22', T + 22 * DAY], ['day 25', T + 25 * DAY], ['day 27', T + 27 * DAY], ['day 29', T + 29 * DAY], ['day 31', T + 31 * DAY]] as const) {
      passes[name] = (await sweep(runner, at)).actions
    }
    const all = Object.values(passes).flat()
    // Once: no alert or task is planned twice, and each rule alerts an account once over the whole run.
    expect(new Set(keysOf(all)).size).toBe(all.length)
    const alerts = all.filter((a): a is PlannedAlert => a.type === 'alert')
    expect(new Set(alerts.map((a) => `${a.ruleId} ${JSON.stringify(a.target)}`)).size).toBe(alerts.length)
    expect(passes['an hour later']).toEqual([])

    // The first pass: onboarding for the new account, renewal 100 days out, seats over the contract,
    // the silent account's drop below 60 and 40 and into the lowest tier, its unused key features,
    // and the expansion opportunity of the healthy ones.
    expect([...opened(passes.first)]).toEqual(expect.arrayContaining(['onboarding/kickoff acct_new', 'onboarding/setup acct_new', 'onboarding/training acct_new', 'onboarding/first-value acct_new', 'renewal/usage-review acct_renewal', 'expansion/conversation acct_expansion', 'adoption/training-offer acct_silent', 'at-risk/exec-sponsor acct_silent']))
    expect([...fired(passes.first)]).toEqual(expect.arrayContaining(['score-below-60 acct_silent', 'score-below-40 acct_silent', 'at-risk acct_silent', 'expansion acct_expansion', 'score-above-80 acct_healthy']))
    expect([...fired(passes.first)].filter((f) => f.startsWith('onboarding-'))).toEqual([])
    // Time-based, through the sweep: the setup stall at day 14+, the training stall at day 21+, the
    // renewal's later steps when their start comes, the at-risk weekly check a week in.
    expect(fired(passes['day 15'])).toContain('onboarding-setup-stalled acct_new')
    expect(fired(passes['day 15'])).not.toContain('onboarding-training-stalled acct_new')
    expect(fired(passes['day 22'])).toContain('onboarding-training-stalled acct_new')
    expect(opened(passes['day 15'])).toContain('renewal/value-summary acct_renewal')
    expect(opened(passes['day 15'])).toContain('at-risk/weekly-check acct_silent')
    expect(opened(passes['day 31'])).toContain('renewal/proposal acct_renewal')
    // The healthy accounts decay without events; the one renewing in under 90 days enters At-risk: the EBR.
    expect(fired(all)).toContain('at-risk-before-renewal acct_renewal')
    expect(fired(all)).not.toContain('at-risk-before-renewal acct_healthy')
    const ebr = all.find((a): a is PlannedTask => a.type === 'task' && a.ruleId === 'at-risk-before-renewal')!
    expect(ebr).toMatchObject({ accountId: 'acct_renewal', assignee: 'csm_ana', escalations: [{ at: ebr.openedAt + 5 * DAY, to: 'cs-director', owner: 'cs_director' }] })
    // An alert carries the score's move and its drivers for Slack and receivers.
    const drop = alerts.find((a) => a.ruleId === 'score-below-40' && a.target.type === 'account' && a.target.accountId === 'acct_silent')!
    expect(drop.context).toMatchObject({ score: 37, tier: 'Critical' })
    expect(drop.context!.drivers.length).toBeGreaterThan(0)
    expect(drop.why.join(' ')).toMatch(/37/)

    // The dispatcher stores what was queued, once, for the account's CSM.
    const dispatcher = new ActionDispatcher({ redis: redis[1], stream: runner.store.actionsStream, consumer: 'd', clickhouse, onAlert: async () => {} })
    await dispatcher.init()
    while ((await dispatcher.runOnce(100)) > 0);
    const tasks = await queryRows<{ key: string; assignee: string }>(clickhouse, "SELECT key, assignee FROM playbook_tasks FINAL WHERE key LIKE '%acct_new%' ORDER BY key")
    expect(tasks.map((t) => t.key)).toEqual(all.filter((a) => a.type === 'task' && a.accountId === 'acct_new').map((a) => a.key).sort())
    expect(tasks.every((t) => t.assignee === 'csm_ana')).toBe(true)
  })

  it('two workers evaluating the same pass fire once between them; a restarted worker does not fire again', async () => {
    const prefix = uniqueName('pb-two')
    const ids = defaults.rules.map((r) => r.id)
    // Deployed before these accounts were known, so nothing is primed.
    await (await createPlaybookRunner({ clickhouse, redis: redis[0], prefix, rules: { ...defaults, rules: [] } })).store.deploy(ids, 0)
    const [a, b] = await Promise.all(redis.map((r) => createPlaybookRunner({ clickhouse, redis: r, prefix, rules: defaults })))
    const run = await scoreAccounts({ ...scoring, now: () => T + 40 * DAY }, { all: true }, T + 40 * DAY, 'sweep')
    const pass = { records: run.records, keyFeatures: run.keyFeatures }
    const [fromA, fromB] = await Promise.all([a.afterScoring(pass), b.afterScoring(pass)])
    const both = [...fromA, ...fromB]
    expect(both.length).toBeGreaterThan(0)
    expect(new Set(keysOf(both)).size).toBe(both.length)
    const queued = await redis[0].xlen(a.store.actionsStream)
    expect(queued).toBe(both.length)
    const restarted = await createPlaybookRunner({ clickhouse, redis: redis[1], prefix, rules: defaults })
    expect(await restarted.afterScoring(pass)).toEqual([])
    expect(await redis[0].xlen(a.store.actionsStream)).toBe(queued)
  })

  it('on rollout, accounts Pulse already scored are primed instead of alerted; an account new since then gets its onboarding', async () => {
    const prefix = uniqueName('pb-rollout')
    const at = T + 50 * DAY
    await insertEvents(clickhouse, [profile('acct_late', at - DAY, 1), ...activity('acct_late', { end: at - 3_600_000, days: 1, users: 1, features: ['reports.export'] })])
    const runner = await createPlaybookRunner({ clickhouse, redis: redis[0], prefix, rules: defaults, now: () => at })
    const { run, actions } = await sweep(runner, at)
    expect(run.records.map((r) => r.accountId)).toContain('acct_silent')
    // acct_silent is in the lowest tier, and was scored long before the rules were deployed: primed, silent.
    const accountOf = (x: PlannedAction) => (x.type === 'task' ? x.accountId : x.target.type === 'account' ? x.target.accountId : null)
    expect(actions.filter((x) => accountOf(x) !== 'acct_late').map((x) => x.key)).toEqual([])
    expect([...opened(actions)]).toEqual(expect.arrayContaining(['onboarding/kickoff acct_late']))
    expect((await runner.store.episodes('acct_silent'))['at-risk']).toMatchObject({ status: 'active' })
    // Once primed, the episode goes on as usual: recovering and dropping again would fire.
  })

  it('re-evaluates churn thresholds when predictions arrive, on the state the last pass saw, once per episode', async () => {
    const prefix = uniqueName('pb-churn')
    const dir = tempDir()
    const file = path.join(dir, 'pulse.rules.yaml')
    fs.writeFileSync(file, 'rules:\n  - id: churn-risk\n    name: Churn risk above 50 %\n    when: { churn: { above: 50% } }\n    actions:\n      - alert: { severity: critical, to: csm }\n')
    const rules = loadRules({ scorecard: scorecard.card, config: file }).rules
    const runner = await createPlaybookRunner({ clickhouse, redis: redis[0], prefix, rules })
    await runner.store.deploy(['churn-risk'], 0)
    const at = T + 60 * DAY
    await sweep(runner, at)
    const prediction = (accountId: string, probability: number): PredictionRecord => ({ accountId, asOf: at, computedAt: at, modelVersion: 'm1', horizonDays: 90, probability, mrrCents: 100_000, drivers: [] })
    // Never scored by this runner: nothing to evaluate yet (the scoring pass comes first).
    expect(await runner.afterPrediction([prediction('acct_unknown', 0.9)])).toEqual([])
    const first = await runner.afterPrediction([prediction('acct_renewal', 0.7), prediction('acct_healthy', 0.2)])
    expect(first.map((a) => [a.type, a.ruleId, (a as PlannedAlert).target])).toEqual([['alert', 'churn-risk', { type: 'account', accountId: 'acct_renewal' }]])
    expect((first[0] as PlannedAlert).why.join(' ')).toMatch(/70/)
    // Wobbling around the threshold (within the 5-point margin) does not re-fire; clearing and crossing again does.
    expect(await runner.afterPrediction([prediction('acct_renewal', 0.48), prediction('acct_renewal', 0.52)].slice(0, 1))).toEqual([])
    expect(await runner.afterPrediction([prediction('acct_renewal', 0.52)])).toEqual([])
    expect(await runner.afterPrediction([prediction('acct_renewal', 0.3)])).toEqual([])
    expect((await runner.afterPrediction([prediction('acct_renewal', 0.8)])).map((a) => a.ruleId)).toEqual(['churn-risk'])
  })

  it('drift rules: a new kind of refusal alerts the schema owners once; kinds stored before the rule was deployed are not news', async () => {
    const prefix = uniqueName('pb-drift')
    // schema_drift keeps 90 days (TTL): this test's drift is recent.
    const T = Date.now() - 60_000
    const record = (time: number, kind: string, source = 'billing-service', count = 1) => ({ time: new Date(time).toISOString(), subject: 'invoice_paid-value', version: 1, kind, path: '$.amountCents', expected: 'long', actual: 'string', source, sample: '{}', count })
    await clickhouse.insert({ table: 'schema_drift', format: 'JSONEachRow', values: [record(T - DAY, 'type-mismatch')].map((r) => ({ ...r, time: r.time.replace('T', ' ').replace('Z', '') })) })
    const runner = await createPlaybookRunner({ clickhouse, redis: redis[0], prefix, rules: defaults, now: () => T })
    expect((await runner.afterDrift([record(T, 'type-mismatch')])).map((a) => a.key)).toEqual([])
    const fresh = await runner.afterDrift([record(T + 1000, 'missing-field'), record(T + 2000, 'missing-field')])
    expect(fresh.map((a) => a.ruleId)).toEqual(['drift-new-kind'])
    expect(fresh[0]).toMatchObject({ to: 'schema-owners', target: { type: 'schema', subject: 'invoice_paid-value', kind: 'missing-field', path: '$.amountCents' } })
    expect(await runner.afterDrift([record(T + 3000, 'missing-field')])).toEqual([])
    // A new source of the same refusal is news for the new-source rule only.
    expect((await runner.afterDrift([record(T + 4000, 'missing-field', 'checkout')])).map((a) => a.ruleId)).toEqual(['drift-new-source'])
  })

  it('a sweep keeps every account\'s facts for the next and re-reads only those with events since: the same states as reading everything', async () => {
    // A time no test above swept (a pass at a time already scored stores nothing new).
    const at = T + 61 * DAY
    // Two accounts per slice: the sweep's two lanes share the slices between them.
    // No margin for inserts under way: every event of this file was stored well before.
    // The default rules and one that reads payment failures (the default rules do not, so no failure is read for them).
    const file = path.join(tempDir(), 'pulse.rules.yaml')
    fs.writeFileSync(file, 'preset: default\nrules:\n  - id: payment-failed\n    name: A payment failed\n    when: { event: payment_failed }\n    actions:\n      - alert: { severity: warning, to: csm }\n')
    const rules = loadRules({ scorecard: scorecard.card, config: file }).rules
    expect(rules.rules.length).toBe(defaults.rules.length + 1)
    const kept = await createPlaybookRunner({ clickhouse, redis: redis[0], prefix: uniqueName('pb-kept'), rules, sweepAbove: 0, sliceSize: 2, factsMarginMs: 0 })
    // The first sweep knew one key feature; the next knows them all (a new day's top N): the new ones' last uses
    // are read for every account, the rest of the facts only for accounts with events since.
    const key = ['reports.export', 'dashboards.share']
    // A recent use of the second key feature, stored before the first sweep read anything.
    await insertEvents(clickhouse, [{ event: 'feature_used', accountId: 'acct_expansion', userId: 'acct_expansion_u0', at: at - DAY, properties: { feature: 'dashboards.share', durationMs: null } }])
    await new Promise((r) => setTimeout(r, 20))
    const first = await scoreAccounts({ ...scoring, now: () => at }, { all: true }, at, 'sweep')
    await kept.afterScoring({ records: first.records, keyFeatures: key.slice(0, 1) })
    expect(kept.lastSweep).toMatchObject({ factsRead: 'all', quiet: 0 })
    // A merge rewrites every stored event: it does not make their accounts look changed.
    await clickhouse.command({ query: 'OPTIMIZE TABLE events FINAL' })
    // An event stored after that sweep read the facts, for an account new to this runner's reads.
    await insertEvents(clickhouse, [{ event: 'payment_failed', accountId: 'acct_healthy', at: at + 1_800_000, properties: { invoiceId: 'in_kept', amountCents: 100, currency: 'EUR', failureCode: null, attempt: 1, nextRetryAt: null } }])
    const run = await scoreAccounts({ ...scoring, now: () => at + 3_600_000 }, { all: true }, at + 3_600_000, 'sweep')
    await kept.afterScoring({ records: run.records, keyFeatures: key })
    // Only the accounts with events since were read again, every account was evaluated (none had been seen twice).
    expect(kept.lastSweep).toMatchObject({ accounts: run.records.length, quiet: 0, evaluated: run.records.length, factsRead: 1, featuresAdded: 1 })
    expect((await kept.store.lastState('acct_healthy'))?.lastPaymentFailedAt).toBe(at + 1_800_000)
    expect((await kept.store.lastState('acct_expansion'))?.featureLastUsed['dashboards.share']).toBe(Math.floor((at - DAY) / DAY) * DAY)
    // What a runner reading everything afresh makes of the same pass: the same states, account by account.
    const fresh = await createPlaybookRunner({ clickhouse, redis: redis[1], prefix: uniqueName('pb-fresh'), rules, sweepAbove: 0 })
    await fresh.afterScoring({ records: run.records, keyFeatures: key })
    // With the default rules alone the failure is not read: no rule could look at it.
    const lean = await createPlaybookRunner({ clickhouse, redis: redis[1], prefix: uniqueName('pb-lean'), rules: defaults, sweepAbove: 0 })
    await lean.afterScoring({ records: run.records, keyFeatures: key })
    expect((await lean.store.lastState('acct_healthy'))?.lastPaymentFailedAt).toBeNull()
    expect((await lean.store.lastState('acct_expansion'))?.featureLastUsed).toEqual((await fresh.store.lastState('acct_expansion'))?.featureLastUsed)
    const ids = run.records.map((r) => r.accountId)
    expect(ids).toEqual(expect.arrayContaining(['acct_new', 'acct_healthy', 'acct_renewal', 'acct_expansion', 'acct_silent']))
    // (Time aside: an account where only time moved keeps the state stored at its earlier time.)
    const timeless = async (runner: PlaybookRunner, id: string) => ({ id, state: { ...(await runner.store.lastState(id)), now: 0 } })
    for (const id of ids) expect(await timeless(kept, id)).toEqual(await timeless(fresh, id))
  })
})
