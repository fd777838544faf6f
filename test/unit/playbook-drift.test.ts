import { describe, expect, it } from 'vitest'
import { evaluateDriftRule, type DriftInput, type DriftRuleState } from '../../processors/playbooks/drift-rules.js'
import type { PlannedAlert } from '../../processors/playbooks/planned-actions.js'
import { loadRules, readRulesYaml, resolveRules } from '../../processors/playbooks/rules-file.js'
import type { DriftRule } from '../../processors/playbooks/rules.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'

const tiers = loadScorecard({ config: 'pulse' }).card.tiers
const { rules } = loadRules({ scorecard: { tiers }, config: 'default' })
const drift = (id: string) => rules.driftRules.find((r) => r.id === id)!
const T = Date.parse('2026-03-02T09:00:00Z')
const MIN = 60_000
const DAY = 86_400_000

const record = (minutes: number, over: Partial<DriftInput> = {}): DriftInput => ({
  time: new Date(T + minutes * MIN).toISOString(), subject: 'feature_used', kind: 'unknown_field', path: 'properties.colour', source: 'web-app', count: 1, ...over,
})

/** Feeds batches (each evaluated at its last record's time, or `now`) through one rule, carrying its state. */
function feed(rule: DriftRule, batches: { records: DriftInput[]; now?: number }[]): PlannedAlert[][] {
  let state: DriftRuleState | undefined
  return batches.map(({ records, now }) => {
    const at = now ?? Math.max(...records.map((r) => Date.parse(r.time)))
    const out = evaluateDriftRule(rule, state, records, at, rules)
    state = out.state
    return out.alerts
  })
}

describe('default drift rules alert the schema owners once per episode', () => {
  it('a new kind of refusal (subject, kind, field path) alerts once; again only after 30 silent days', () => {
    const alerts = feed(drift('drift-new-kind'), [
      { records: [record(0), record(0, { source: 'billing' }), record(1, { kind: 'type_mismatch', path: 'properties.durationMs' })] },
      { records: [record(5), record(6, { count: 400 })] },
      { records: [record(30 * 24 * 60 + 10)] },
    ])
    expect(alerts.map((a) => a.map((x) => x.why[0]))).toEqual([
      ['feature_used: new kind of refusal, unknown_field at properties.colour (from web-app)', 'feature_used: new kind of refusal, type_mismatch at properties.durationMs (from web-app)'],
      [],
      ['feature_used: new kind of refusal, unknown_field at properties.colour (from web-app)'],
    ])
    expect(alerts[0][0]).toMatchObject({
      key: `drift-new-kind/feature_used/unknown_field/properties.colour/${T}`, severity: 'warning', to: 'schema-owners', toRole: 'schema_owners',
      target: { type: 'schema', subject: 'feature_used', kind: 'unknown_field', path: 'properties.colour', source: 'web-app' }, channels: [],
    })
  })

  it('a new source of refusals for a subject alerts once per source', () => {
    const alerts = feed(drift('drift-new-source'), [
      { records: [record(0), record(1, { kind: 'missing_field', path: 'properties.feature' })] },
      { records: [record(2, { source: 'billing' }), record(3, { subject: 'user_login', source: 'billing' })] },
    ])
    expect(alerts.map((a) => a.map((x) => x.key.replace(/\/\d+$/, '')))).toEqual([['drift-new-source/feature_used/web-app'], ['drift-new-source/feature_used/billing', 'drift-new-source/user_login/billing']])
  })

  it('a flood (more than 1000 refusals in 10 minutes) alerts when it starts, not for each wave, and again after an hour of calm', () => {
    const wave = (start: number) => [record(start, { count: 600 }), record(start + 1, { count: 500 })]
    const alerts = feed(drift('drift-flood'), [
      { records: [record(0, { count: 900 })] }, // under the threshold
      { records: wave(5) }, // 1500 in the window at minute 5: starts
      { records: wave(8) }, // still flooding
      { records: [], now: T + 30 * MIN }, // down to 500 at minute 18 as the first waves leave the window: calm from then
      { records: wave(60) }, // 42 minutes of calm: the same episode
      { records: [], now: T + 2 * 60 * MIN }, // calm since minute 70; an hour of it by 130
      { records: [], now: T + 3 * 60 * MIN }, // re-armed
      { records: wave(200) }, // a new flood
    ])
    expect(alerts.map((a) => a.length)).toEqual([0, 1, 0, 0, 0, 0, 0, 1])
    expect(alerts[1][0]).toMatchObject({ severity: 'critical', why: ['feature_used: 1500 events refused within 10m (more than 1000)'], firedAt: T + 5 * MIN })
  })

  it('keeps its state small: subsided floods and forgotten kinds leave it', () => {
    const rule = drift('drift-flood')
    const big = evaluateDriftRule(rule, undefined, [record(0, { count: 2000 })], T, rules)
    expect(Object.keys(big.state.floods)).toEqual(['feature_used'])
    const calm = evaluateDriftRule(rule, big.state, [], T + 2 * 60 * MIN, rules)
    expect(calm.state.floods).toEqual({})
    const kinds = evaluateDriftRule(drift('drift-new-kind'), undefined, [record(0)], T, rules)
    expect(evaluateDriftRule(drift('drift-new-kind'), kinds.state, [], T + 31 * DAY, rules).state.seen).toEqual({})
  })
})

describe('drift rules in a file', () => {
  it('count floods per source and filter subjects when asked', () => {
    const file = resolveRules(readRulesYaml('/cfg/pulse.rules.yaml', `owners: { data_team: team_data }
driftRules:
  - id: billing-flood
    when: { flood: { over: 10, within: 1m, per: source } }
    subjects: [payment_failed]
    alert: { severity: warning, to: data_team }
`), { tiers, subjects: ['payment_failed', 'feature_used'] }).rules
    const rule = file.driftRules[0]
    const pf = (m: number, source: string, count: number) => record(m, { subject: 'payment_failed', source, count })
    const out = evaluateDriftRule(rule, undefined, [pf(0, 'a', 8), pf(0.5, 'b', 8), record(0.5, { count: 50 }), pf(0.6, 'a', 3)], T + MIN, file)
    expect(out.alerts.map((a) => [a.target, a.to])).toEqual([[{ type: 'schema', subject: 'payment_failed', source: 'a' }, 'team_data']])
  })
})
