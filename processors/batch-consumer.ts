import type { Batch, Consumer, Kafka } from 'kafkajs'
import { retryDelay } from './failure-kinds.js'

export interface RetryPolicy {
  baseMs: number
  maxMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 250, maxMs: 30_000 }

/** What a paused partition is waiting for, for logs and tests. */
export interface PausedPartition {
  topic: string
  partition: number
  /** Failed attempts in a row for this partition. */
  attempts: number
  retryInMs: number
  error: unknown
}

/**
 * A consumer-group member that hands each fetched batch to `handle` and commits the batch's offsets only
 * after `handle` resolved: what is committed has been stored.
 *
 * A throwing `handle` means a dependency (ClickHouse, Redis, the registry) is away — records that can
 * never be stored are dead-lettered inside `handle`. The partition is then paused (kafkajs's own
 * pause/resume, the pattern its docs give for an unavailable dependency) and resumed after an exponential
 * backoff; nothing was resolved, so kafkajs fetches the same batch again. The member keeps heartbeating
 * meanwhile, so a long outage does not cost a rebalance, and it resumes on its own when the dependency is back.
 */
export async function startBatchConsumer(opts: {
  kafka: Kafka
  topic: string
  groupId: string
  handle: (batch: Batch, heartbeat: () => Promise<void>) => Promise<void>
  retry?: RetryPolicy
  /**
   * Size-or-time batching, done by Kafka's fetch itself: the broker answers a fetch once `minBytes` are
   * waiting or `maxWaitMs` passed, whichever comes first. Larger batches mean fewer, larger ClickHouse
   * inserts (fewer parts to merge); the wait bounds what that costs in freshness.
   */
  batch?: { minBytes: number; maxWaitMs: number }
  /** How many partitions' batches may be handled at once (kafkajs partitionsConsumedConcurrently). */
  partitionsConcurrently?: number
  onPause?: (p: PausedPartition) => void
  onResume?: (p: { topic: string; partition: number; attempts: number; pausedMs: number }) => void
}): Promise<{ consumer: Consumer; paused: () => PausedPartition[]; stop: () => Promise<void> }> {
  const retry = opts.retry ?? DEFAULT_RETRY
  // A shorter session than kafkajs's 30 s default: after a crash, the dead member's partitions move on sooner.
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    ...(opts.batch ? { minBytes: opts.batch.minBytes, maxWaitTimeInMs: opts.batch.maxWaitMs } : {}),
  })
  const failing = new Map<string, PausedPartition & { since: number }>()
  const timers = new Set<NodeJS.Timeout>()
  // After a rebalance, a partition that moved to another member is that member's to retry.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const [key, p] of failing) {
      if (!(payload.memberAssignment[p.topic] ?? []).includes(p.partition)) failing.delete(key)
    }
  })
  await consumer.connect()
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
  await consumer.run({
    // Batches of different partitions overlap: while one waits on a ClickHouse insert or Redis, another
    // decodes. Within a partition order is kept. (bench/processor.ts: the serial processor left the CPU idle.)
    partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, pause }) => {
      if (!batch.messages.length || !isRunning() || isStale()) return
      const key = `${batch.topic}/${batch.partition}`
      try {
        await opts.handle(batch, heartbeat)
      } catch (error) {
        if (!isRunning()) throw error
        const previous = failing.get(key)
        const attempts = (previous?.attempts ?? 0) + 1
        const state = { topic: batch.topic, partition: batch.partition, attempts, retryInMs: retryDelay(attempts, retry), error, since: previous?.since ?? Date.now() }
        failing.set(key, state)
        const resume = pause()
        const timer = setTimeout(() => {
          timers.delete(timer)
          resume()
        }, state.retryInMs)
        timers.add(timer)
        opts.onPause?.(state)
        return
      }
      // Resolving moves this member's fetch position past the batch; committing makes that survive a crash.
      resolveOffset(batch.lastOffset())
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }])
      const recovered = failing.get(key)
      if (recovered) {
        failing.delete(key)
        opts.onResume?.({ topic: batch.topic, partition: batch.partition, attempts: recovered.attempts, pausedMs: Date.now() - recovered.since })
      }
      await heartbeat()
    },
  })
  return {
    consumer,
    paused: () => [...failing.values()].map(({ since: _since, ...p }) => p),
    stop: async () => {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      await consumer.disconnect()
    },
  }
}
