import { createRedisEventTarget } from '@graphql-yoga/redis-event-target'
import { createPubSub } from '@graphql-yoga/subscription'
import type { Redis } from 'ioredis'
import type { DriftRecord } from '../../gateway/drift.js'
import type { HealthScoreRecord } from './account-score.js'
import { driversOf, type Driver } from './explain.js'
import type { ComponentScore, ScoreStatus } from './score.js'
import type { Trend } from './smoothing.js'

/** What subscribers of `healthScoreChanged` receive; JSON-safe because it crosses Redis pub/sub. */
export interface HealthScoreChanged {
  accountId: string
  score: number | null
  tier: string | null
  previousScore: number | null
  previousTier: string | null
  status: ScoreStatus
  coverage: number
  missing: string[]
  scorecardVersion: string
  /** ISO time the score is as of. */
  asOf: string
  computedAt: string
  trend: Trend
  components: ComponentScore[]
  drivers: Driver[]
}

export function toScoreChange(r: HealthScoreRecord): HealthScoreChanged {
  return {
    accountId: r.accountId,
    score: r.score,
    tier: r.tier,
    previousScore: r.previousScore,
    previousTier: r.previousTier,
    status: r.status,
    coverage: r.coverage,
    missing: r.missing,
    scorecardVersion: r.scorecardVersion,
    asOf: new Date(r.asOf).toISOString(),
    computedAt: new Date(r.computedAt).toISOString(),
    trend: r.trend,
    components: r.components,
    drivers: r.status === 'OK' ? driversOf(r.components, r.measures) : [],
  }
}

/** What subscribers of `churnRiskChanged` receive. */
export interface ChurnRiskChanged {
  accountId: string
  probability: number
  /** The account's previous prediction, null for its first. */
  previousProbability: number | null
  horizonDays: number
  /** probability × MRR, in currency units per month (null without an MRR). */
  revenueAtRisk: number | null
  modelVersion: string
  computedAt: string
}

/** What subscribers of `driftDetected` receive: a kind of drift from a source not seen before (its first record, without the sample). */
export type DriftDetected = Omit<DriftRecord, 'sample' | 'count'> & { events: number }

/**
 * What subscribers of `alertFired` and `taskCreated` receive: a playbook alert or task as the rule planned it
 * (processors/playbooks PlannedAlert / PlannedTask, JSON-safe). Declared structurally here so scoring, which
 * the playbooks build on, does not import them.
 */
export interface AlertFired {
  type: 'alert'
  key: string
  ruleId: string
  ruleName: string
  target: { type: 'account'; accountId: string } | { type: 'schema'; subject: string; kind?: string; path?: string; source?: string }
  severity: 'info' | 'warning' | 'critical'
  title: string
  why: string[]
  to: string | null
  toRole: string | null
  channels: string[]
  firedAt: number
  context?: { score: number | null; previousScore: number | null; tier: string | null; previousTier: string | null; drivers: string[] }
}

export interface TaskCreated {
  type: 'task'
  key: string
  ruleId: string
  taskId: string
  occurrence: number
  accountId: string
  title: string
  why: string[]
  assignee: string | null
  assigneeRole: string
  status: 'open' | 'done' | 'canceled'
  openedAt: number
  dueAt: number
  escalations: { at: number; to: string | null; owner: string }[]
  /** Escalations applied: 0 when the task opens, more when the sweep passed it to a next owner. */
  escalated?: number
}

export type ScoreEvents = ReturnType<typeof createScoreEvents>

/**
 * Changes travel over Redis pub/sub so that the workers that notice them (scoring, churn prediction, the
 * drift processor) and the GraphQL server need not share a process. `channel` keeps separate Pulse
 * installations on one Redis apart; each kind of change has a topic of its own under it.
 */
export function createScoreEvents(opts: { publishClient: Redis; subscribeClient: Redis; channel: string }) {
  const pubSub = createPubSub<Record<string, [HealthScoreChanged | ChurnRiskChanged | DriftDetected | AlertFired | TaskCreated]>>({
    eventTarget: createRedisEventTarget({ publishClient: opts.publishClient, subscribeClient: opts.subscribeClient }),
  })
  const topics = { score: opts.channel, churnRisk: `${opts.channel}:churn-risk`, drift: `${opts.channel}:drift`, alert: `${opts.channel}:alert`, task: `${opts.channel}:task` }
  return {
    channel: opts.channel,
    topics,
    pubSub,
    publish: (change: HealthScoreChanged) => pubSub.publish(topics.score, change),
    publishChurnRisk: (change: ChurnRiskChanged) => pubSub.publish(topics.churnRisk, change),
    publishDrift: (drift: DriftDetected) => pubSub.publish(topics.drift, drift),
    publishAlert: (alert: AlertFired) => pubSub.publish(topics.alert, alert),
    publishTask: (task: TaskCreated) => pubSub.publish(topics.task, task),
  }
}
