/**
 * A rules file once validated: account rules and playbooks (a condition over an account's state and what to
 * do when it becomes true), drift rules (for schema owners), the owners tasks and alerts go to, and the
 * endpoints alerts are sent to. Every value is resolved (durations in ms, shares 0–1, tier bands copied
 * from the scorecard) so the evaluator needs nothing but these types, and all of it is JSON-safe.
 */
import type { AccountEvent } from './account-state.js'
import type { Segment } from '../scoring/scorecard.js'

/** A tier as the scorecard bands it: whole scores `min`..`max`, both inclusive. */
export interface TierBand {
  name: string
  min: number
  max: number
}

/**
 * One condition. Level conditions hold while a value is past a threshold and clear once it is back past the
 * threshold by `margin` (hysteresis); edge conditions (`tier-changes`, `tier-enters`, `event`) hold only at
 * the evaluation that sees the change.
 */
export type Condition =
  | { kind: 'score'; op: 'below' | 'above'; value: number; margin: number }
  | { kind: 'churn'; op: 'below' | 'above'; value: number; margin: number }
  /** `bands` are the named tiers' score ranges, copied from the scorecard, for the margin. */
  | { kind: 'tier-in'; tiers: string[]; margin: number; bands: TierBand[] }
  | { kind: 'tier-enters'; tiers: string[]; margin: number; bands: TierBand[] }
  /** `order`: the scorecard's tiers, best first. */
  | { kind: 'tier-changes'; direction: 'down' | 'up' | 'any'; order: string[] }
  | { kind: 'renewal'; withinDays: number }
  | { kind: 'seats'; overBy: number; margin: number }
  | { kind: 'event'; event: AccountEvent }
  | { kind: 'signed-up'; withinMs: number }
  | { kind: 'milestone-reached'; milestone: string }
  /** `since` null = signup. */
  | { kind: 'milestone-missing'; milestone: string; afterMs: number; since: string | null }
  /** `features` null = the account's key features; `since` null = signup. */
  | { kind: 'feature-unused'; forMs: number; since: string | null; features: string[] | null }
  | { kind: 'segment'; segments: Segment[] }
  | { kind: 'all'; conditions: Condition[] }

export const SEVERITIES = ['info', 'warning', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Who: the account's CSM or an owner named in the file's `owners`. */
export type Assignee = { csm: true } | { owner: string }

export interface AlertAction {
  type: 'alert'
  severity: Severity
  /** Defaults to the rule's name. */
  title: string
  /** Who is told (mentioned in Slack, named in the webhook body); null = nobody in particular. */
  to: Assignee | null
  /** Endpoint names; the `alertFired` subscription always hears every alert. */
  channels: string[]
}

export interface Escalation {
  /** After the task opens; the first defaults to its due time: "not done in 5 days → CS director". */
  afterMs: number
  to: string
}

export interface TaskAction {
  type: 'task'
  /** Stable within its rule: the key tasks and their repeats are counted by. */
  id: string
  title: string
  assignee: Assignee
  /** When the task opens, after the rule fires; 0 = at once. */
  startMs: number
  /** Due this long after it opens. */
  dueMs: number
  /** Opens again every this long while the episode lasts ("weekly check until it recovers"). */
  everyMs: number | null
  /** In order of `afterMs`, each to the next owner. */
  escalate: Escalation[]
}

export type Action = AlertAction | TaskAction

export interface AccountRule {
  id: string
  /** A rule fires alerts and tasks; a playbook is a named sequence of steps. Both behave alike. */
  type: 'rule' | 'playbook'
  name: string
  when: Condition
  /** Once cleared, the condition must stay cleared this long before the rule can fire again. */
  rearmAfterMs: number
  actions: Action[]
}

export type DriftCondition =
  /** A (subject, kind, field path) never refused before. */
  | { kind: 'new-kind' }
  /** A source never refused before for the subject. */
  | { kind: 'new-source' }
  /** More than `over` refusals within `withinMs`, per subject or per (subject, source). */
  | { kind: 'flood'; over: number; withinMs: number; per: 'subject' | 'source' }

export interface DriftRule {
  id: string
  name: string
  when: DriftCondition
  /** null = every subject. */
  subjects: string[] | null
  /** new-kind/new-source: a kind or source silent this long is new again; flood: quiet time before re-firing. 0 = never forget / at once. */
  rearmAfterMs: number
  alert: AlertAction
}

export interface Endpoint {
  type: 'webhook' | 'slack'
  /** The URL itself, or the environment variable holding it (a Slack webhook URL is a secret). */
  url: { value: string } | { env: string }
  /** Environment variable holding the signing secret of a webhook. */
  secretEnv: string | null
}

export interface Rules {
  /** Owner name → the id tasks and alerts are assigned to (a user or a team). */
  owners: Record<string, string>
  /** Owner that `csm` falls back to for accounts without a CSM; null leaves such tasks unassigned. */
  csmFallback: string | null
  endpoints: Record<string, Endpoint>
  /** Rules and playbooks, in file order. */
  rules: AccountRule[]
  driftRules: DriftRule[]
}
