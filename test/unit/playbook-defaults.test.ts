import { describe, expect, it } from 'vitest'
import { loadRules, readRulesYaml, resolveRules } from '../../processors/playbooks/rules-file.js'
import { RulesError } from '../../processors/playbooks/rules-problems.js'
import type { PlannedAlert, PlannedTask } from '../../processors/playbooks/planned-actions.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { account, DAY, firings, HOUR, runSequence, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const loaded = loadRules({ scorecard: card, config: 'default' })
const { rules } = loaded
const rule = (id: string) => rules.rules.find((r) => r.id === id)!
const s = (score: number, over = {}) => scored(card.tiers, score, over)
const at = (days: number) => T0 + days * DAY
const alerts = (a: { actions: unknown[] }) => a.actions.filter((x): x is PlannedAlert => (x as PlannedAlert).type === 'alert')
const tasks = (a: { actions: unknown[] }) => a.actions.filter((x): x is PlannedTask => (x as PlannedTask).type === 'task')
const taskIds = (a: { actions: unknown[] }) => tasks(a).map((t) => t.taskId)

describe('the default rules file', () => {
  it('loads and validates against the pulse and points-5 scorecards', () => {
    expect(loaded.source).toBe('preset default')
    expect(loaded.version).toMatch(/^[0-9a-f]{12}$/)
    expect(rules.rules.map((r) => `${r.type} ${r.id}`)).toEqual([
      'rule score-below-60', 'rule score-below-40', 'rule score-above-80', 'rule at-risk-before-renewal',
      'rule onboarding-setup-stalled', 'rule onboarding-training-stalled',
      'playbook onboarding', 'playbook adoption', 'playbook renewal', 'playbook at-risk', 'playbook expansion',
    ])
    expect(rules.driftRules.map((r) => r.id)).toEqual(['drift-new-kind', 'drift-new-source', 'drift-flood'])
    expect(loadRules({ scorecard: loadScorecard({ config: 'points-5' }).card, config: 'default' }).version).toBe(loaded.version)
  })

  it('names tiers by position, so it holds with any scorecard; a file based on it can replace rules by id', () => {
    const pillars = loadScorecard({ config: 'pillars-3' }).card
    const withPillars = loadRules({ scorecard: pillars, config: 'default' }).rules
    const tiersOf = (rs: typeof withPillars, id: string) => {
      const w = rs.rules.find((r) => r.id === id)!.when
      const parts = w.kind === 'all' ? w.conditions : [w]
      return parts.flatMap((c) => ('tiers' in c ? c.tiers : []))
    }
    expect(tiersOf(withPillars, 'at-risk-before-renewal')).toEqual(['Yellow'])
    expect(tiersOf(withPillars, 'at-risk')).toEqual(['Red'])
    expect(tiersOf(rules, 'at-risk-before-renewal')).toEqual(['At-risk'])
    expect(tiersOf(rules, 'at-risk')).toEqual(['Critical'])
    const bad = (tier: string) => {
      try {
        resolveRules(readRulesYaml('/cfg/pulse.rules.yaml', `rules:\n  - id: r\n    when: { tier: { in: ["${tier}"] } }\n    actions: [ { alert: { severity: info, to: csm } } ]\n`), { tiers: pillars.tiers })
      } catch (err) {
        return (err as RulesError).problems
      }
      return []
    }
    expect(bad('$lowest+3')).toEqual([expect.stringContaining('pulse.rules.yaml:3: rule "r", when.tier.in: "$lowest+3" is past the scorecard\'s 3 tiers (Green, Yellow, Red)')])
    expect(bad('$lowest-1')).toEqual([expect.stringContaining('pulse.rules.yaml:3: rule "r", when.tier.in: "$lowest-1" points outside the scorecard\'s tiers: count up from $lowest, down from $highest')])
    expect(bad('$bottom')).toEqual([expect.stringContaining('pulse.rules.yaml:3: rule "r", when.tier.in: "$bottom" is not a tier position: expected $lowest, $lowest+N, $highest or $highest-N')])
    expect(bad('Amber')).toEqual([expect.stringContaining('pulse.rules.yaml:3: rule "r", when.tier.in: "Amber" is not a tier of the scorecard (Green, Yellow, Red); a tier may also be named by position, as $lowest, $lowest+1 or $highest')])
    expect(bad('$highest-1')).toEqual([])
    const mine = resolveRules(readRulesYaml('/cfg/pulse.rules.yaml', `preset: default
owners: { cs_director: usr_dana }
rules:
  - id: at-risk-before-renewal
    when: { all: [ { tier: { enters: [Yellow] } }, { renewal: { within: 90d } } ] }
    actions: [ { alert: { severity: warning, to: csm } } ]
playbooks:
  - id: at-risk
    name: At-risk
    when: { tier: { in: [Red] } }
    steps: [ { title: Reach out now, due: 1d } ]
disable: [score-above-80]
`), { tiers: pillars.tiers })
    expect(mine.source).toMatch(/pulse\.rules\.yaml \(preset default\)$/)
    expect(mine.rules.owners).toEqual({ cs_director: 'usr_dana', cs_lead: 'cs-lead', schema_owners: 'schema-owners' })
    expect(mine.rules.rules.map((r) => r.id)).not.toContain('score-above-80')
    expect(mine.rules.rules.find((r) => r.id === 'at-risk')!.name).toBe('At-risk')
  })
})

describe('each default rule fires once on its crafted sequence', () => {
  it('score below 60: alerts the CSM and puts the account on the weekly review until it recovers; a score wobbling around 60 does not re-fire', () => {
    const scores = [70, 62, 58, 61, 59, 63, 58, 64, 66, 57]
    const runs = runSequence(rule('score-below-60'), scores.map((v, i) => s(v, { now: at(0) + i * HOUR })), rules)
    // 58 fires; 61…64 stay within the 5-point margin; 66 re-arms; 57 is a new episode.
    expect(firings(runs)).toEqual([2, 9])
    const [alert] = alerts(runs[2])
    expect(alert).toMatchObject({
      key: `score-below-60/acct_1/${at(0) + 2 * HOUR}`, severity: 'warning', title: 'Health score dropped below 60',
      why: ['score 58, below 60'], to: 'csm_ana', toRole: 'csm', target: { type: 'account', accountId: 'acct_1' },
    })
    expect(tasks(runs[2])).toEqual([expect.objectContaining({ taskId: 'weekly-review', assignee: 'csm_ana', openedAt: at(0) + 2 * HOUR, dueAt: at(7) + 2 * HOUR, occurrence: 0 })])
    expect(runs.slice(3, 9).flatMap((r) => r.actions)).toEqual([])
  })

  it('score below 60: the weekly review recurs while the episode lasts, and stops once the score is back to 65', () => {
    const r = rule('score-below-60')
    const runs = runSequence(r, [s(70), s(55, { now: at(1) }), s(57, { now: at(5) }), s(58, { now: at(8) }), s(61, { now: at(15) }), s(66, { now: at(16) }), s(62, { now: at(22) })], rules)
    expect(runs.map(taskIds)).toEqual([[], ['weekly-review'], [], ['weekly-review'], ['weekly-review'], [], []])
    expect(tasks(runs[3])[0]).toMatchObject({ occurrence: 1, openedAt: at(8), key: `score-below-60/acct_1/${at(1)}/weekly-review/1` })
  })

  it('score below 40: urgent alert, outreach escalating to the CS director when not done in a day, daily checks', () => {
    const runs = runSequence(rule('score-below-40'), [s(45), s(38, { now: at(1) }), s(36, { now: at(1) + 2 * HOUR }), s(39, { now: at(2) + HOUR })], rules)
    expect(firings(runs)).toEqual([1])
    expect(alerts(runs[1])[0]).toMatchObject({ severity: 'critical', why: ['score 38, below 40'], to: 'csm_ana' })
    const [outreach, daily] = tasks(runs[1])
    expect(outreach).toMatchObject({ title: 'Reach out to the customer now', assignee: 'csm_ana', dueAt: at(2), escalations: [{ at: at(2), to: 'cs-director', owner: 'cs_director' }] })
    expect(daily).toMatchObject({ taskId: 'daily-check', dueAt: at(2) })
    expect(runs.slice(2).map(taskIds)).toEqual([[], ['daily-check']])
  })

  it('score above 80: an expansion-opportunity alert and a review call, re-armed only at 75 or less', () => {
    const scores = [75, 81, 79, 82, 76, 83, 74, 81]
    const runs = runSequence(rule('score-above-80'), scores.map((v, i) => s(v, { now: at(i) })), rules)
    expect(firings(runs)).toEqual([1, 7])
    expect(alerts(runs[1])[0]).toMatchObject({ severity: 'info', title: 'Expansion opportunity — health score above 80', why: ['score 81, above 80'] })
    expect(tasks(runs[1])[0]).toMatchObject({ title: 'Schedule a review call to explore expansion', dueAt: at(15) })
  })

  it('at-risk before renewal: a drop to At-risk with renewal within 90 days → an EBR task, escalated to the CS director if not done in 5 days', () => {
    const runs = runSequence(rule('at-risk-before-renewal'), [
      s(66, { daysToRenewal: 82 }),
      s(57, { daysToRenewal: 81, now: at(1) }),
      s(61, { daysToRenewal: 80, now: at(2) }), // back to Stable, but within the margin
      s(58, { daysToRenewal: 79, now: at(3) }), // drops again: the same episode
      s(52, { daysToRenewal: 78, now: at(4) }),
    ], rules)
    expect(firings(runs)).toEqual([1])
    expect(alerts(runs[1])[0].why).toEqual(['tier At-risk (was Stable)', 'renewal in 81 days (within 90)'])
    expect(tasks(runs[1])[0]).toMatchObject({ title: 'Schedule an executive business review', dueAt: at(6), escalations: [{ at: at(6), to: 'cs-director', owner: 'cs_director' }] })
  })

  it('onboarding stalls: setup not done 14 days after signup, training not scheduled after 21 — each flagged once', () => {
    const signup = { signupAt: at(0), milestones: {} as Record<string, number> }
    const days = [1, 13, 14, 15, 20, 21, 22]
    const states = days.map((d) => account({ ...signup, now: at(d) }))
    states.push(account({ ...signup, now: at(23), milestones: { setup_completed: at(22), training_scheduled: at(23) } }))
    expect(firings(runSequence(rule('onboarding-setup-stalled'), states, rules))).toEqual([2])
    expect(firings(runSequence(rule('onboarding-training-stalled'), states, rules))).toEqual([5])
    const run = runSequence(rule('onboarding-setup-stalled'), states, rules)[2]
    expect(alerts(run)[0].why).toEqual(['setup_completed not reached 14 days after signup'])
    expect(tasks(run)[0]).toMatchObject({ dueAt: at(17), escalations: [{ at: at(17), to: 'cs-lead', owner: 'cs_lead' }] })
  })
})

describe('each default playbook fires once on its crafted sequence', () => {
  it('onboarding: a new account gets the kickoff, setup, training and first-value tasks, once', () => {
    const fresh = { signupAt: at(0), milestones: {}, score: null, tier: null }
    const runs = runSequence(rule('onboarding'), [account({ ...fresh, now: at(0) + HOUR }), account({ ...fresh, now: at(2) }), account({ ...fresh, now: at(9) }), account({ ...fresh, now: at(30) })], rules)
    expect(firings(runs)).toEqual([0])
    expect(tasks(runs[0]).map((t) => [t.title, (t.dueAt - t.openedAt) / DAY])).toEqual([
      ['Hold the kickoff call', 5], ['Get the technical setup done', 14], ['Schedule and hold the training sessions', 21], ['Reach the first value milestone', 30],
    ])
  })

  it('adoption: a key feature unused 30 days after onboarding completed → a training offer, once', () => {
    const onboarded = { milestones: { setup_completed: at(-20), training_scheduled: at(-15), onboarding_completed: at(0) } }
    const exportOnly = { featureLastUsed: { 'reports.export': at(5) } }
    const runs = runSequence(rule('adoption'), [
      account({ ...onboarded, ...exportOnly, now: at(29) }),
      account({ ...onboarded, ...exportOnly, now: at(30) }),
      account({ ...onboarded, ...exportOnly, now: at(31) }),
      account({ ...onboarded, featureLastUsed: { 'reports.export': at(31), 'dashboards.share': at(32) }, now: at(32) }),
    ], rules)
    expect(firings(runs)).toEqual([1])
    expect(tasks(runs[1])).toEqual([expect.objectContaining({ title: 'Offer targeted training on the unused key features', why: ['dashboards.share unused for 30 days since onboarding_completed'] })])
  })

  it('renewal: 120 days before the renewal date, the usage review, value summary, proposal and negotiation open in sequence', () => {
    const days = [0, 1, 14, 20, 30, 45, 60]
    const runs = runSequence(rule('renewal'), [account({ daysToRenewal: 121, now: at(-1) }), ...days.map((d) => account({ daysToRenewal: 120 - d, now: at(d) }))], rules)
    expect(firings(runs)).toEqual([1])
    expect(runs.map(taskIds)).toEqual([[], ['usage-review'], [], ['value-summary'], [], ['proposal'], ['negotiation'], []])
    expect(tasks(runs[5])[0]).toMatchObject({ openedAt: at(30), dueAt: at(44), escalations: [{ at: at(44), owner: 'cs_director' }] })
    // Renewed: the next term is a year away, so the episode ends and the next one starts 120 days before it.
    const renewed = runSequence(rule('renewal'), [account({ daysToRenewal: 365, now: at(121) }), account({ daysToRenewal: 120, now: at(366) })], rules, { previous: account({ daysToRenewal: 0, now: at(120) }), episode: runs.at(-1)!.episode })
    expect(firings(renewed)).toEqual([1])
  })

  it('at-risk: the lowest tier → outreach now, the executive sponsor within 48 h, a save plan, and a weekly check until it recovers', () => {
    const runs = runSequence(rule('at-risk'), [
      s(45), s(35, { now: at(1) }), s(41, { now: at(3) }), s(38, { now: at(8) }), s(43, { now: at(15) }), s(47, { now: at(16) }), s(44, { now: at(22) }), s(39, { now: at(30) }),
    ], rules)
    // 41 and 43 are Critical's margin (up to 44): still the same episode; 47 is recovered; 39 starts a new one.
    expect(firings(runs)).toEqual([1, 7])
    expect(alerts(runs[1])[0]).toMatchObject({ severity: 'critical', title: 'At-risk', why: ['tier Critical'] })
    expect(tasks(runs[1]).map((t) => [t.taskId, (t.dueAt - t.openedAt) / HOUR])).toEqual([['outreach', 24], ['exec-sponsor', 48], ['save-plan', 168]])
    expect(tasks(runs[1])[1].escalations).toEqual([{ at: at(3), to: 'cs-director', owner: 'cs_director' }])
    expect(runs.map(taskIds).slice(2, 7)).toEqual([[], ['weekly-check'], ['weekly-check'], [], []])
  })

  it('expansion: seats active 20 % or more over purchased → an expansion conversation, re-armed below 15 %', () => {
    const seats = [115, 120, 118, 121, 114, 125]
    const runs = runSequence(rule('expansion'), seats.map((n, i) => account({ seatsActive: n, seatsPurchased: 100, now: at(i) })), rules)
    expect(firings(runs)).toEqual([1, 5])
    expect(alerts(runs[1])[0].why).toEqual(['120 seats active of 100 purchased (20 % over, threshold 20 %)'])
    expect(tasks(runs[1])[0]).toMatchObject({ title: 'Start an expansion conversation with a tailored proposal', dueAt: at(15) })
  })
})
