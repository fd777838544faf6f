import { describe, expect, it } from 'vitest'
import { conditionVerdict } from '../../processors/playbooks/condition-verdict.js'
import { stepEpisode } from '../../processors/playbooks/episode.js'
import { assigneeAt, escalationsDue, isOverdue } from '../../processors/playbooks/escalation.js'
import { runRule } from '../../processors/playbooks/evaluate-rule.js'
import { dueOccurrence, resolveAssignee } from '../../processors/playbooks/plan-actions.js'
import type { PlannedTask } from '../../processors/playbooks/planned-actions.js'
import { readRulesYaml, resolveRules } from '../../processors/playbooks/rules-file.js'
import { RulesError } from '../../processors/playbooks/rules-problems.js'
import type { Rules } from '../../processors/playbooks/rules.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { account, DAY, firings, HOUR, runSequence, scored, T0 } from '../support/playbook-accounts.js'

const tiers = loadScorecard({ config: 'pulse' }).card.tiers
const at = (days: number) => T0 + days * DAY
const s = (score: number, over = {}) => scored(tiers, score, over)

/** Rules from inline YAML, with owners most tests need. */
function rulesOf(yaml: string): Rules {
  return resolveRules(readRulesYaml('/cfg/pulse.rules.yaml', `owners: { cs_director: usr_dana, cs_lead: usr_lee }\n${yaml}`), { tiers }).rules
}
const only = (yaml: string) => {
  const rules = rulesOf(`rules:\n${yaml}`)
  return { rule: rules.rules[0], rules }
}
function problemsOf(yaml: string, subjects?: string[]): string[] {
  try {
    resolveRules(readRulesYaml('/cfg/pulse.rules.yaml', yaml), { tiers, subjects })
    return []
  } catch (err) {
    if (!(err instanceof RulesError)) throw err
    return err.problems
  }
}

describe('hysteresis: once per episode', () => {
  it('a score flapping around the threshold fires once, and again only after it has been back past the margin for the quiet time', () => {
    const { rule, rules } = only(`  - id: low
    when: { score: { below: 60, margin: 3 } }
    rearm: { after: 2d }
    actions: [ { alert: { severity: warning } } ]
`)
    const seq: [number, number][] = [[0, 64], [1, 59], [1.1, 61], [1.2, 59], [1.3, 62], [1.4, 58], [2, 63], [3, 58], [4, 65], [5, 66], [6, 64], [6.5, 57]]
    const runs = runSequence(rule, seq.map(([d, v]) => s(v, { now: at(d) })), rules)
    // 63 at day 2 clears (≥ 63) but 58 on day 3 comes before the 2-day quiet time: the same episode.
    // Cleared from day 4 and still on day 6: re-armed; 57 on day 6.5 is a new episode.
    expect(firings(runs)).toEqual([1, 11])
    expect(runs.map((r) => r.episode.status)).toEqual(['armed', 'active', 'active', 'active', 'active', 'active', 'active', 'active', 'active', 'active', 'armed', 'active'])
  })

  it('unknown data (INSUFFICIENT_DATA: no score, no tier) neither fires nor ends an episode', () => {
    const { rule, rules } = only(`  - id: low
    when: { score: { below: 60 } }
    actions: [ { alert: { severity: warning } } ]
`)
    const runs = runSequence(rule, [s(55), account({ score: null, tier: null, now: at(1) }), s(58, { now: at(2) }), account({ score: null, tier: null, now: at(3) }), s(56, { now: at(4) })], rules)
    expect(firings(runs)).toEqual([0])
    expect(runs.map((r) => r.episode.status)).toEqual(['active', 'active', 'active', 'active', 'active'])
  })

  it('the episode machine: armed → fires once → cleared for the quiet time → armed', () => {
    const yes = { holds: true, cleared: false }
    const no = { holds: false, cleared: true }
    const a = stepEpisode(undefined, yes, 10, 5)
    expect(a).toEqual({ fires: true, episode: { status: 'active', since: 10, clearedSince: null, opened: {} } })
    const b = stepEpisode(a.episode, no, 11, 5)
    expect(b).toEqual({ fires: false, episode: { status: 'active', since: 10, clearedSince: 11, opened: {} } })
    expect(stepEpisode(b.episode, yes, 12, 5)).toEqual({ fires: false, episode: { status: 'active', since: 10, clearedSince: null, opened: {} } })
    expect(stepEpisode(b.episode, no, 16, 5)).toEqual({ fires: false, episode: { status: 'armed', since: 16 } })
  })
})

describe('AND across mixed kinds', () => {
  const edge = only(`  - id: risk-renewal
    when: { all: [ { tier: { enters: [At-risk] } }, { renewal: { within: 90d } } ] }
    actions: [ { alert: { severity: warning, to: csm } } ]
`)
  const level = only(`  - id: risk-renewal
    when: { all: [ { tier: { in: [At-risk] } }, { renewal: { within: 90d } } ] }
    actions: [ { alert: { severity: warning, to: csm } } ]
`)

  it('"tier drops to At-risk AND renewal within 90 days" fires at the drop when the renewal is near', () => {
    const states = [s(65, { daysToRenewal: 60 }), s(55, { daysToRenewal: 59, now: at(1) }), s(54, { daysToRenewal: 58, now: at(2) })]
    expect(firings(runSequence(edge.rule, states, edge.rules))).toEqual([1])
  })

  it('the edge form does not fire when the renewal window opens after the drop; the level form does, once', () => {
    const states = [s(65, { daysToRenewal: 100 }), s(55, { daysToRenewal: 99, now: at(1) }), s(55, { daysToRenewal: 90, now: at(10) }), s(56, { daysToRenewal: 80, now: at(20) })]
    expect(firings(runSequence(edge.rule, states, edge.rules))).toEqual([])
    const runs = runSequence(level.rule, states, level.rules)
    expect(firings(runs)).toEqual([2])
    expect(runs[2].actions[0]).toMatchObject({ why: ['tier At-risk', 'renewal in 90 days (within 90)'] })
  })

  it('any part cleared ends the episode: renewing re-arms it even while the tier stays At-risk', () => {
    const states = [s(55, { daysToRenewal: 30 }), s(55, { daysToRenewal: 0, now: at(30) }), s(55, { daysToRenewal: 365, now: at(31) }), s(55, { daysToRenewal: 90, now: at(306) })]
    expect(firings(runSequence(level.rule, states, level.rules))).toEqual([0, 3])
  })

  it('a segment narrows a rule', () => {
    const { rule, rules } = only(`  - id: enterprise-churn
    when: { all: [ { segment: { in: [ENTERPRISE] } }, { churn: { above: 40% } } ] }
    actions: [ { alert: { severity: critical, to: cs_director } } ]
`)
    expect(firings(runSequence(rule, [account({ churnProbability: 0.5 }), account({ churnProbability: 0.5, segment: 'ENTERPRISE', now: at(1) })], rules))).toEqual([1])
  })
})

describe('conditions', () => {
  it('churn probability crosses a threshold, with a 5-point default margin', () => {
    const { rule, rules } = only(`  - id: churn
    when: { churn: { above: 0.5 } }
    actions: [ { alert: { severity: warning } } ]
`)
    const p = [null, 0.45, 0.52, 0.48, 0.53, 0.44, 0.51]
    const runs = runSequence(rule, p.map((v, i) => account({ churnProbability: v, now: at(i) })), rules)
    expect(firings(runs)).toEqual([2, 6])
    expect(runs[2].actions[0]).toMatchObject({ why: ['churn probability 52 %, above 50 %'] })
  })

  it('a failed payment fires on the evaluation that sees it; retries within the quiet time do not, and the sweep re-arms', () => {
    const { rule, rules } = only(`  - id: payment
    when: { event: payment_failed }
    rearm: { after: 7d }
    actions: [ { alert: { severity: warning, to: csm } } ]
`)
    const failed = (d: number) => ({ lastPaymentFailedAt: at(d) })
    const runs = runSequence(rule, [
      account({ now: at(0) }),
      account({ ...failed(1), now: at(1) + HOUR }), // fires
      account({ ...failed(1), now: at(2) }), // sweep
      account({ ...failed(3), now: at(3) + HOUR }), // retry: same episode
      account({ ...failed(3), now: at(4) }), // sweep: quiet from here
      account({ ...failed(3), now: at(10) }), // sweep: quiet for 6 days
      account({ ...failed(3), now: at(11) }), // sweep: quiet for 7 days → re-armed
      account({ ...failed(12), now: at(12) + HOUR }), // a new episode
    ], rules)
    expect(firings(runs)).toEqual([1, 7])
    expect(runs.map((r) => r.episode.status)).toEqual(['armed', 'active', 'active', 'active', 'active', 'active', 'armed', 'active'])
    expect(runs[1].actions[0]).toMatchObject({ why: [`payment failed at ${new Date(at(1)).toISOString()}`] })
  })

  it('a P1 ticket fires on the evaluation that sees it; evaluations with no newer P1 do not', () => {
    const { rule, rules } = only(`  - id: p1
    when: { event: p1_ticket_opened }
    actions: [ { alert: { severity: critical, to: csm } } ]
`)
    const runs = runSequence(rule, [account({ lastP1TicketAt: at(-40) }), account({ lastP1TicketAt: at(-40), now: at(1) }), account({ lastP1TicketAt: at(2), now: at(2) }), account({ lastP1TicketAt: at(2), now: at(3) })], rules, { previous: account({ lastP1TicketAt: at(-40), now: at(-1) }) })
    expect(firings(runs)).toEqual([2])
  })

  it('a first evaluation: level conditions and events so far can fire, a tier change cannot (there is no tier to change from)', () => {
    const rules = rulesOf(`rules:
  - { id: enters, when: { tier: { enters: [Critical] } }, actions: [ { alert: { severity: critical } } ] }
  - { id: changes, when: { tier: { changes: down } }, actions: [ { alert: { severity: critical } } ] }
  - { id: in, when: { tier: { in: [Critical] } }, actions: [ { alert: { severity: critical } } ] }
  - { id: p1, when: { event: p1_ticket_opened }, actions: [ { alert: { severity: critical } } ] }
`)
    const first = s(30, { lastP1TicketAt: at(0) })
    expect(rules.rules.map((r) => runRule(r, { previous: undefined, current: first, episode: undefined, owners: rules }).fires)).toEqual([false, false, true, true])
  })

  it('a tier change down, quieted by rearm.after so a tier flapping at a boundary does not spam', () => {
    const { rule, rules } = only(`  - id: down
    when: { tier: { changes: down } }
    rearm: { after: 3d }
    actions: [ { alert: { severity: warning } } ]
`)
    const seq: [number, number][] = [[0, 62], [1, 59], [1.5, 60], [2, 59], [3, 60], [4, 61], [6, 62], [7, 58]]
    expect(firings(runSequence(rule, seq.map(([d, v]) => s(v, { now: at(d) })), rules))).toEqual([1, 7])
  })

  it('a milestone reached fires once ever; a named feature unused since signup', () => {
    const rules = rulesOf(`rules:
  - { id: done, when: { milestone: { reached: onboarding_completed } }, actions: [ { task: { title: Start adoption, due: 7d } } ] }
  - { id: exports, when: { featureUnused: { for: 14d, features: [reports.export] } }, actions: [ { alert: { severity: info } } ] }
`)
    const states = [account({ milestones: {}, signupAt: at(0), featureLastUsed: {} }), ...[10, 14, 20].map((d) => account({ milestones: { onboarding_completed: at(10) }, signupAt: at(0), featureLastUsed: {}, now: at(d) }))]
    expect(firings(runSequence(rules.rules[0], states, rules))).toEqual([1])
    const unused = runSequence(rules.rules[1], states, rules)
    expect(firings(unused)).toEqual([2])
    expect(unused[2].actions[0]).toMatchObject({ why: ['reports.export unused for 14 days since signup'] })
    expect(conditionVerdict(rules.rules[1].when, undefined, account({ signupAt: at(0), featureLastUsed: { 'reports.export': at(13) }, now: at(20) }))).toEqual({ holds: false, cleared: true, why: [] })
  })
})

describe('time-based conditions with an injected clock', () => {
  it('days to renewal reaching N fires on the evaluation that sees it, whichever path evaluates', () => {
    const { rule, rules } = only(`  - id: renewal
    when: { renewal: { within: 30d } }
    actions: [ { task: { title: Confirm the renewal, due: 14d } } ]
`)
    const runs = runSequence(rule, [32, 31, 30, 29].map((d, i) => account({ daysToRenewal: d, now: at(i) })), rules)
    expect(firings(runs)).toEqual([2])
    expect(runs[2].actions).toEqual([expect.objectContaining({ openedAt: at(2), dueAt: at(16) })])
  })

  it('is pure: the same inputs give the same verdict, episode and action keys (what lets a second worker lose its compare-and-set harmlessly)', () => {
    const { rule, rules } = only(`  - id: low
    when: { score: { below: 60 } }
    actions: [ { alert: { severity: warning } }, { task: { title: Call, due: 1d } } ]
`)
    const input = { previous: s(62), current: s(58, { now: at(1) }), episode: undefined, owners: rules }
    expect(runRule(rule, input)).toEqual(runRule(rule, structuredClone(input)))
    expect(runRule(rule, input).actions.map((a) => a.key)).toEqual([`low/acct_1/${at(1)}`, `low/acct_1/${at(1)}/2/0`])
  })
})

describe('tasks: assignees, due dates and escalation', () => {
  const { rule, rules } = only(`  - id: ebr
    when: { score: { below: 60 } }
    actions:
      - task:
          title: Schedule an executive business review
          due: 5d
          escalate: [ { to: cs_lead }, { to: cs_director, after: 8d } ]
`)
  const [task] = runRule(rule, { previous: s(65), current: s(55, { now: at(0) }), episode: undefined, owners: rules }).actions as PlannedTask[]

  it('is due 5 days after it opens, and escalates to the next owner when not done: at the due time, then 3 days later', () => {
    expect(task).toMatchObject({ assignee: 'csm_ana', assigneeRole: 'csm', status: 'open', openedAt: at(0), dueAt: at(5) })
    expect(task.escalations).toEqual([{ at: at(5), to: 'usr_lee', owner: 'cs_lead' }, { at: at(8), to: 'usr_dana', owner: 'cs_director' }])
    expect(escalationsDue(task, { status: 'open', escalated: 0 }, at(4))).toEqual([])
    expect(isOverdue(task, 'open', at(5) + 1)).toBe(true)
    expect(escalationsDue(task, { status: 'open', escalated: 0 }, at(5))).toEqual([{ at: at(5), to: 'usr_lee', owner: 'cs_lead', level: 1 }])
    expect(escalationsDue(task, { status: 'open', escalated: 1 }, at(9)).map((e) => e.owner)).toEqual(['cs_director'])
    expect(escalationsDue(task, { status: 'done', escalated: 0 }, at(9))).toEqual([])
    expect([at(1), at(6), at(9)].map((t) => assigneeAt(task, 'open', t).id)).toEqual(['csm_ana', 'usr_lee', 'usr_dana'])
    expect(assigneeAt(task, 'done', at(9)).id).toBe('csm_ana')
  })

  it('goes to the CSM, else to the fallback owner, else unassigned', () => {
    expect(resolveAssignee({ csm: true }, { csmId: 'csm_bo' }, { owners: { cs_lead: 'usr_lee' }, csmFallback: 'cs_lead' })).toEqual({ id: 'csm_bo', role: 'csm' })
    expect(resolveAssignee({ csm: true }, { csmId: null }, { owners: { cs_lead: 'usr_lee' }, csmFallback: 'cs_lead' })).toEqual({ id: 'usr_lee', role: 'cs_lead' })
    expect(resolveAssignee({ csm: true }, { csmId: null }, { owners: {}, csmFallback: null })).toEqual({ id: null, role: 'csm' })
    expect(resolveAssignee({ owner: 'cs_director' }, { csmId: 'csm_bo' }, { owners: { cs_director: 'usr_dana' }, csmFallback: null })).toEqual({ id: 'usr_dana', role: 'cs_director' })
  })

  it('recurring and delayed steps open at their time; missed repeats are skipped, not opened in a burst', () => {
    const weekly = { startMs: 7 * DAY, everyMs: 7 * DAY }
    expect(dueOccurrence(weekly, at(0), 0, at(6))).toBeNull()
    expect(dueOccurrence(weekly, at(0), 0, at(7))).toEqual({ occurrence: 0, openedAt: at(7) })
    expect(dueOccurrence(weekly, at(0), 1, at(13))).toBeNull()
    expect(dueOccurrence(weekly, at(0), 1, at(30))).toEqual({ occurrence: 3, openedAt: at(28) })
    expect(dueOccurrence({ startMs: 0, everyMs: null }, at(0), 1, at(30))).toBeNull()
  })
})

describe('an invalid rules file is refused with every problem, where it is and what was expected', () => {
  it('lists them all with file:line, rule id and key path', () => {
    expect(problemsOf(`owners:
  cs_director: usr_dana
  csm: usr_x
endpoints:
  crm: { type: webhook, url: https://crm.example.com/hooks/pulse }
  cs-slack: { type: slack, urlEnv: PULSE_SLACK_URL_CS }
csmFallback: cs_lead
rules:
  - id: score-below-60
    when: { score: { below: 160 } }
    actions:
      - alert: { severity: urgent, to: csm, channels: [cs-slack, pagerduty] }
      - task: { title: Call them, due: 7 }
  - id: renewal-risk
    when: { tier: { enters: [At risk] }, renewal: { within: 90d } }
    actions:
      - task: { title: Schedule an EBR, due: 5d, escalate: { to: vp_cs } }
  - id: score-below-60
    when: { all: [ { renewal: { within: 12h } }, { churn: { above: 50 } } ] }
    rearm: { after: soon }
    actions: []
playbooks:
  - id: expansion
    when: { seats: { overPurchasedBy: 20% } }
    steps:
      - { title: Talk expansion, due: 14d, every: 0 }
driftRules:
  - id: drift-flood
    when: { flood: { over: 1000 } }
    alert: { severity: critical, to: csm }
  - id: drift-kind
    when: { newKind: {} }
    subjects: [feature_used, feature_usd]
    alert: { severity: warning }
`, ['feature_used', 'user_login']).map((p) => p.replace(/^.*pulse\.rules\.yaml/, 'pulse.rules.yaml'))).toEqual([
      'pulse.rules.yaml:3: owners, csm: "csm" is reserved for the account\'s own CSM',
      'pulse.rules.yaml:5: endpoints, crm: a webhook needs secretEnv: the variable holding the secret its requests are signed with',
      'pulse.rules.yaml:7: rules file, csmFallback: expected an owner named under owners (cs_director), got "cs_lead"',
      'pulse.rules.yaml:10: rule "score-below-60", when.score.below: expected a score 0–100, got 160',
      'pulse.rules.yaml:12: rule "score-below-60", actions[0].alert.severity: expected info, warning, critical, got "urgent"',
      'pulse.rules.yaml:12: rule "score-below-60", actions[0].alert.channels[1]: "pagerduty" is no endpoint of the file (crm, cs-slack)',
      'pulse.rules.yaml:13: rule "score-below-60", actions[1].task.due: expected a duration such as 7d, 48h or 30m, got 7',
      'pulse.rules.yaml:15: rule "renewal-risk", when: expected a condition: a mapping with exactly one key, one of score, churn, tier, renewal, seats, event, signedUp, milestone, featureUnused, segment, or all: [conditions…]; got tier and renewal (combine conditions with all:)',
      'pulse.rules.yaml:17: rule "renewal-risk", actions[0].task.escalate.to: expected an owner named under owners (cs_director), got "vp_cs"',
      'pulse.rules.yaml:19: rule "score-below-60", when.all[0].renewal.within: expected whole days such as 90d (days to renewal are whole days), got "12h"',
      'pulse.rules.yaml:19: rule "score-below-60", when.all[1].churn.above: expected a share such as 0.2 or 20% (at most 100%), got 50 (did you mean 50%?)',
      'pulse.rules.yaml:20: rule "score-below-60", rearm.after: expected a duration such as 7d, 48h or 30m, got "soon"',
      'pulse.rules.yaml:21: rule "score-below-60", actions: a rule needs actions: a list of { alert: … } and { task: … }',
      'pulse.rules.yaml:23: playbook "expansion": a playbook needs a name',
      'pulse.rules.yaml:26: playbook "expansion", steps[0].every: expected a duration above 0, such as 7d',
      'pulse.rules.yaml:29: drift rule "drift-flood", when.flood: missing within: the window refusals are counted in, e.g. 10m',
      'pulse.rules.yaml:30: drift rule "drift-flood", alert.to: expected an owner named under owners (cs_director), got "csm"',
      'pulse.rules.yaml:33: drift rule "drift-kind", subjects[1]: "feature_usd" is no event of the catalog (feature_used, user_login)',
      'pulse.rules.yaml:18: rule "score-below-60": id already used by rules[0]; ids are unique across rules, playbooks and drift rules',
    ])
  })

  it('names tiers the scorecard lacks, a tier list that always holds, unknown keys and conditions', () => {
    expect(problemsOf(`rules:
  - id: a
    when: { tier: { in: [Healthy, Stable, At-risk, Critical] } }
    actions: [ { alert: { severity: info } } ]
  - id: b
    when: { tier: { enters: [Red] }, }
    actions: [ { alert: { severity: info, colour: red } } ]
  - id: c
    when: { mood: grumpy }
    actions: [ { alert: { severity: info } } ]
  - id: d
    when: { all: [ { score: { below: 60 } }, { all: [ { score: { above: 10 } }, { score: { above: 20 } } ] } ] }
    actions: [ { alert: { severity: info } } ]
  - id: e
    when: { tier: { changes: sideways } }
    actions: [ { note: hello } ]
`).map((p) => p.replace(/^.*pulse\.rules\.yaml/, 'pulse.rules.yaml'))).toEqual([
      'pulse.rules.yaml:3: rule "a", when.tier.in: names every tier of the scorecard, so it always holds',
      'pulse.rules.yaml:6: rule "b", when.tier.enters: "Red" is not a tier of the scorecard (Healthy, Stable, At-risk, Critical); a tier may also be named by position, as $lowest, $lowest+1 or $highest',
      'pulse.rules.yaml:7: rule "b", actions[0].alert.colour: unknown key "colour"; an alert takes severity, title, to, channels',
      'pulse.rules.yaml:9: rule "c", when.mood: unknown condition "mood"; a condition is one of score, churn, tier, renewal, seats, event, signedUp, milestone, featureUnused, segment, or all: [conditions…]',
      'pulse.rules.yaml:12: rule "d", when.all[1].all: all: cannot be nested; list every condition in the one all:',
      'pulse.rules.yaml:15: rule "e", when.tier.changes: expected down, up or any, got "sideways"',
      'pulse.rules.yaml:16: rule "e", actions[0]: expected { alert: … } or { task: … }, got {"note":"hello"}',
    ])
  })

  it('refuses a preset it does not ship, and disabling a rule the preset lacks', () => {
    expect(problemsOf('preset: strict\n')).toEqual([expect.stringMatching(/pulse\.rules\.yaml:1: unknown preset "strict"; presets are default$/)])
    expect(problemsOf('preset: default\ndisable: [score-below-50]\n')).toEqual([expect.stringMatching(/pulse\.rules\.yaml:2: disable names "score-below-50", which is no rule, playbook or drift rule of preset default$/)])
    expect(problemsOf('disable: [score-below-60]\n')).toEqual([expect.stringMatching(/pulse\.rules\.yaml:1: disable drops rules of a preset; this file names no preset$/)])
  })

  it('points at the preset line or the file line, whichever the merged rule came from', () => {
    const found = problemsOf(`preset: default
owners: { cs_director: "" }
rules:
  - id: score-below-40
    name: Health score dropped below 40
    when: { score: { below: 40 } }
    actions: [ { task: { title: Call, due: 1d, escalate: { to: vp } } } ]
`)
    expect(found).toEqual([
      expect.stringMatching(/pulse\.rules\.yaml:2: owners, cs_director: expected the id of a user or team, got ""$/),
      expect.stringMatching(/pulse\.rules\.yaml:7: rule "score-below-40", actions\[0\]\.task\.escalate\.to: expected an owner named under owners \(cs_director, cs_lead, schema_owners\), got "vp"$/),
    ])
  })
})
