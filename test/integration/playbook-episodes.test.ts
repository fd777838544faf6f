import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { EpisodeStore } from '../../processors/playbooks/episode-store.js'
import type { PlannedAction } from '../../processors/playbooks/planned-actions.js'
import { loadRules, readRulesYaml, resolveRules } from '../../processors/playbooks/rules-file.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { uniqueName } from '../support/fixtures.js'
import type { AccountState } from '../../processors/playbooks/account-state.js'
import type { Rules } from '../../processors/playbooks/rules.js'
import { DAY, HOUR, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const { rules } = loadRules({ scorecard: card, config: 'default' })
const at = (days: number, score: number) => scored(card.tiers, score, { now: T0 + days * DAY })
const alertRules = (actions: PlannedAction[]) => actions.filter((a) => a.type === 'alert').map((a) => a.ruleId).sort()

describe('playbook episodes in Redis: once per episode across workers and restarts (real Redis)', () => {
  const connections = [new Redis(inject('redisUrl')), new Redis(inject('redisUrl'))]
  afterAll(() => connections.forEach((c) => c.disconnect()))

  it('fires a score drop once when two workers evaluate the same change at once, and queues its actions once', async () => {
    const prefix = uniqueName('pb')
    const [a, b] = connections.map((c) => new EpisodeStore(c, prefix))
    expect(await a.evaluate(rules, at(0, 70))).toEqual([])
    // Both workers saw the drop below 60: exactly one of them fires it.
    const [fromA, fromB] = await Promise.all([a.evaluate(rules, at(1, 55)), b.evaluate(rules, at(1, 55))])
    const fired = [...fromA, ...fromB]
    expect(alertRules(fired)).toEqual(['score-below-60'])
    expect(fromA.length === 0 || fromB.length === 0).toBe(true)
    const queued = (await connections[0].xrange(a.actionsStream, '-', '+')).map(([, f]) => JSON.parse(f[1]) as PlannedAction)
    expect(queued).toEqual(fired)
    expect(new Set(queued.map((q) => q.key)).size).toBe(queued.length)
  })

  it('writes nothing for an account whose state only moved in time (a steady sweep), and writes the state again with the next change', async () => {
    const prefix = uniqueName('pb')
    const store = new EpisodeStore(connections[0], prefix)
    const key = `${prefix}:playbooks:acct:acct_1`
    await store.evaluate(rules, at(0, 70))
    const before = await connections[0].get(key)
    expect(before).toContain('"score":70')
    for (const hours of [1, 2, 3]) expect(await store.evaluate(rules, scored(card.tiers, 70, { now: T0 + hours * 3_600_000 }))).toEqual([])
    expect(await connections[0].get(key)).toBe(before)
    // The score moves (no rule fires): the new state is stored, so the next edge is measured from it.
    expect(await store.evaluate(rules, at(1, 66))).toEqual([])
    expect((await store.lastState('acct_1'))?.score).toBe(66)
    expect(alertRules(await store.evaluate(rules, at(2, 58)))).toEqual(['score-below-60'])
  })

  it('does not fire again after a restart mid-episode, re-arms once the score recovers past the margin, and ignores a late, older state', async () => {
    const prefix = uniqueName('pb')
    const first = new EpisodeStore(connections[0], prefix)
    await first.evaluate(rules, at(0, 70))
    expect(alertRules(await first.evaluate(rules, at(1, 55)))).toEqual(['score-below-60'])
    // A new process (new store, other connection) picks up the stored episodes: a flapping score stays quiet.
    const restarted = new EpisodeStore(connections[1], prefix)
    for (const [day, score] of [[2, 61], [3, 58], [4, 62], [5, 57]]) expect(alertRules(await restarted.evaluate(rules, at(day, score)))).toEqual([])
    expect((await restarted.episodes('acct_1'))['score-below-60']).toBeDefined()
    // A worker that computed an older state commits nothing: the account's past is not a new change.
    expect(await first.evaluate(rules, at(4.5, 90))).toEqual([])
    // Recovered past 60 + the 5-point margin: the rule re-arms, and the next drop is a new episode.
    expect(alertRules(await restarted.evaluate(rules, at(6, 66)))).toEqual([])
    expect(alertRules(await restarted.evaluate(rules, at(7, 54)))).toEqual(['score-below-60'])
    const queued = await connections[0].xlen(first.actionsStream)
    expect(queued).toBe((await connections[0].xrange(first.actionsStream, '-', '+')).length)
  })

  it('a worker that remembers an account from its last evaluation still sees what another worker wrote since', async () => {
    const prefix = uniqueName('pb')
    const [a, b] = connections.map((c) => new EpisodeStore(c, prefix))
    await a.evaluate(rules, at(0, 70))
    expect(alertRules(await a.evaluate(rules, at(1, 55)))).toEqual(['score-below-60'])
    // Another worker sees the recovery past the margin: the rule re-arms there.
    expect(await b.evaluate(rules, at(2, 66))).toEqual([])
    // The first worker's own memory says "55 and active since day 1" (the same state but for its time: nothing to
    // write); the store says 66 and re-armed, so the drop to 55 fires again.
    expect(alertRules(await a.evaluate(rules, at(3, 55)))).toEqual(['score-below-60'])
  })

  it('a worker that skips accounts in their quiet time acts and stores exactly as workers that evaluate every account afresh, over weeks of sweeps', async () => {
    // Accounts across the default rules: each tier, renewals, seats over, payment failures, young accounts
    // onboarding (or stalling) and key features going unused.
    const base: AccountState[] = [
      ...[15, 35, 45, 58, 62, 75, 95].map((score) => scored(card.tiers, score)),
      scored(card.tiers, 50, { daysToRenewal: 30, churnProbability: 0.7 }),
      scored(card.tiers, 70, { seatsActive: 70, seatsPurchased: 50 }),
      scored(card.tiers, 70, { lastPaymentFailedAt: T0 - DAY }),
      ...[0.5, 6, 13, 20, 40].flatMap((days) => [
        scored(card.tiers, 45, { signupAt: T0 - days * DAY, milestones: {}, keyFeatures: ['reports'], featureLastUsed: {} }),
        scored(card.tiers, 65, { signupAt: T0 - days * DAY, milestones: { setup_completed: T0 - DAY }, keyFeatures: ['reports'], featureLastUsed: { reports: T0 - 25 * DAY } }),
      ]),
    ].map((s, i) => ({ ...s, accountId: `acct_${i}` }))
    // Half the default rules wait two days cleared before re-arming (the defaults re-arm at once), and two rules
    // on edges (a tier moving down, a P1 ticket), which hold on a change and clear on the same state again.
    const edges = resolveRules(
      readRulesYaml('/cfg/pulse.rules.yaml', 'rules:\n  - { id: tier-down, when: { tier: { changes: down } }, rearm: { after: 2d }, actions: [ { alert: { severity: critical } } ] }\n  - { id: p1, when: { event: p1_ticket_opened }, rearm: { after: 1d }, actions: [ { alert: { severity: warning } } ] }\n'),
      { tiers: card.tiers },
    ).rules.rules
    const mixed: Rules = { ...rules, rules: [...rules.rules.map((r, i) => (i % 2 ? { ...r, rearmAfterMs: 2 * DAY } : r)), ...edges] }
    const [remembering, fresh] = [uniqueName('pb'), uniqueName('pb')]
    const worker = new EpisodeStore(connections[0], remembering)
    const scores = [15, 35, 45, 58, 62, 75, 95]
    const moveTo = (score: number) => ({ score, tier: scored(card.tiers, score).tier })
    let current = base
    let freshRuns = 0
    for (let sweep = 1; sweep <= 80; sweep++) {
      const now = T0 + sweep * 7 * HOUR
      // Now and then an account's score moves, a P1 ticket arrives, a key feature is used or the CSM changes;
      // renewals come a day nearer each day, and every few days the portfolio's key features change for all
      // (fields only some rules read). Otherwise only time passes.
      const keyFeatures = Math.floor(sweep / 11) % 2 ? ['reports', 'api'] : ['reports']
      current = current.map((s, i) => {
        const next = { ...s, now, keyFeatures: s.keyFeatures.length ? keyFeatures : s.keyFeatures }
        if (s.daysToRenewal !== null && s.daysToRenewal < 100) next.daysToRenewal = 30 - Math.floor((sweep * 7) / 24)
        if ((i + sweep) % 23 === 0) return { ...next, ...moveTo(scores[(i + sweep) % scores.length]) }
        if ((i * sweep) % 29 === 7) return { ...next, lastP1TicketAt: now - HOUR }
        if ((i * sweep) % 31 === 5) return { ...next, featureLastUsed: { ...s.featureLastUsed, api: now - HOUR } }
        if ((i + sweep) % 37 === 0) return { ...next, csmId: `csm_${sweep}` }
        return next
      })
      const inputs = current.map((s) => ({ accountId: s.accountId, state: () => ({ ...s }) }))
      const kept = await worker.evaluateMany(mixed, inputs)
      const afreshStore = new EpisodeStore(connections[1], fresh)
      const afresh = await afreshStore.evaluateMany(mixed, inputs)
      freshRuns += afreshStore.counts.ruleRuns
      const shown = (outcomes: typeof kept) => outcomes.flatMap((o) => o.actions.map((a) => JSON.stringify(a))).sort()
      expect(shown(kept), `sweep ${sweep}`).toEqual(shown(afresh))
      for (const s of current) expect(await worker.episodes(s.accountId), `sweep ${sweep}`).toEqual(await new EpisodeStore(connections[1], fresh).episodes(s.accountId))
    }
    const fired = await connections[0].xlen(worker.actionsStream)
    expect(fired).toBeGreaterThan(20)
    expect(fired).toBe(await connections[1].xlen(new EpisodeStore(connections[1], fresh).actionsStream))
    // Most evaluations were skipped, or the comparison above proved nothing.
    expect(worker.counts.quiet + worker.counts.evaluated).toBe(80 * current.length)
    expect(worker.counts.quiet / (80 * current.length)).toBeGreaterThan(0.5)
    // And of the accounts evaluated, most rules were not run: nothing they read had moved.
    expect(worker.counts.ruleRuns / freshRuns).toBeLessThan(0.3)
  })
})
