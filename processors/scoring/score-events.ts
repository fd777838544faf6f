import { createRedisEventTarget } from '@graphql-yoga/redis-event-target'
import { createPubSub } from '@graphql-yoga/subscription'
import type { Redis } from 'ioredis'
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

export type ScoreEvents = ReturnType<typeof createScoreEvents>

/**
 * Score changes travel over Redis pub/sub so that the scoring worker and the GraphQL server need not
 * share a process. `channel` keeps separate Pulse installations on one Redis apart.
 */
export function createScoreEvents(opts: { publishClient: Redis; subscribeClient: Redis; channel: string }) {
  const pubSub = createPubSub<Record<string, [HealthScoreChanged]>>({
    eventTarget: createRedisEventTarget({ publishClient: opts.publishClient, subscribeClient: opts.subscribeClient }),
  })
  return {
    channel: opts.channel,
    pubSub,
    publish: (change: HealthScoreChanged) => pubSub.publish(opts.channel, change),
  }
}
