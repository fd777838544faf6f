import type { Batch, Consumer, Kafka } from 'kafkajs'

/**
 * A consumer-group member that hands each fetched batch to `handle` and commits the batch's offsets only
 * after `handle` resolved: what is committed has been stored. A throwing `handle` leaves the batch
 * uncommitted; kafkajs retries it with backoff and restarts the consumer, so it resumes on its own.
 */
export async function startBatchConsumer(opts: {
  kafka: Kafka
  topic: string
  groupId: string
  handle: (batch: Batch, heartbeat: () => Promise<void>) => Promise<void>
}): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  // A shorter session than kafkajs's 30 s default: after a crash, the dead member's partitions move on sooner.
  const consumer = opts.kafka.consumer({ groupId: opts.groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000 })
  await consumer.connect()
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      if (!batch.messages.length || !isRunning() || isStale()) return
      await opts.handle(batch, heartbeat)
      // Resolving moves this member's fetch position past the batch; committing makes that survive a crash.
      resolveOffset(batch.lastOffset())
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }])
      await heartbeat()
    },
  })
  return { consumer, stop: () => consumer.disconnect() }
}
