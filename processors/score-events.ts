import { createRedisEventTarget } from '@graphql-yoga/redis-event-target'
import { createPubSub } from '@graphql-yoga/subscription'
import type { Redis } from 'ioredis'
import type { HealthTier } from './health-score.js'

/** What subscribers of `healthScoreChanged` receive; JSON-safe because it crosses Redis pub/sub. */
export interface HealthScoreChanged {
  accountId: string
  score: number
  tier: HealthTier
  computedAt: string
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
