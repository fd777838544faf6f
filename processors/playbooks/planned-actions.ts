/**
 * What a fired rule asks the edges to do, fully resolved (who, when, where): an alert to send and tasks to
 * open. JSON-safe, because they cross Redis and BullMQ and are stored as they are. Every one carries a
 * `key` that names it for good, so a retried write or a second worker stores and sends it once.
 */
import type { Severity } from './rules.js'

export type AlertTarget =
  | { type: 'account'; accountId: string }
  | { type: 'schema'; subject: string; kind?: string; path?: string; source?: string }

export interface PlannedAlert {
  type: 'alert'
  /** `rule/account/episode` (or `rule/subject…/time` for drift): one per episode. */
  key: string
  ruleId: string
  ruleName: string
  target: AlertTarget
  severity: Severity
  title: string
  /** The facts that made it fire: "score 58, below 60", "renewal in 85 days (within 90)". */
  why: string[]
  /** The id told (the CSM, an owner); null when nobody in particular or nobody resolves. */
  to: string | null
  /** `csm` or the owner name `to` came from, for display and for re-resolving later. */
  toRole: string | null
  /** Endpoint names to send to, beside the `alertFired` subscription. */
  channels: string[]
  firedAt: number
  /** For an account alert fired by a scoring pass: the score's move and its top drivers in words, as the pass saw them. */
  context?: AlertScoreContext
}

export interface AlertScoreContext {
  score: number | null
  previousScore: number | null
  tier: string | null
  previousTier: string | null
  drivers: string[]
}

export type TaskStatus = 'open' | 'done' | 'canceled'

export interface PlannedEscalation {
  /** Epoch ms at which an open task passes to `to`. */
  at: number
  to: string | null
  owner: string
}

export interface PlannedTask {
  type: 'task'
  /** `rule/account/episode/task/occurrence`. */
  key: string
  ruleId: string
  taskId: string
  /** 0 for the first opening, then one more for each repeat of a recurring step. */
  occurrence: number
  accountId: string
  title: string
  why: string[]
  /** Null when the CSM is asked for and the account has none (and no fallback owner is configured). */
  assignee: string | null
  assigneeRole: string
  status: TaskStatus
  openedAt: number
  dueAt: number
  escalations: PlannedEscalation[]
}

export type PlannedAction = PlannedAlert | PlannedTask

// The pub/sub payloads (declared in scoring, which cannot import this folder) are these very shapes.
import type { AlertFired, TaskCreated } from '../scoring/score-events.js'
const _alertIsPublishable = (a: PlannedAlert): AlertFired => a
const _taskIsPublishable = (t: PlannedTask): TaskCreated => t
void _alertIsPublishable
void _taskIsPublishable
