import { Partitioners } from 'kafkajs'
import { createScoringQueue } from '../../processors/scoring/index.js'
import { createProcessorMetrics, startDriftProcessor, startEventProcessor, TypedTables } from '../../processors/index.js'
import { registryRest } from '../../registry/rest-client.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

/** The event processor (events → ClickHouse, scoring jobs, dead letters) and the drift processor. */
export async function startProcessor(ctx: PlatformContext): Promise<ComponentStarted> {
  const { config, logger } = ctx
  // The processor's queue fails fast (BullMQ's pattern for Redis being down): an enqueue that waited for a
  // reconnect would hold the batch without heartbeats; failing lets the partition pause and retry instead.
  const queueRedis = await ctx.redis('scoring queue', { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  const scoringQueue = createScoringQueue(queueRedis, config.redisPrefix)
  scoringQueue.queue.on('error', (err) => logger.warn({ err: err.message }, 'scoring queue error'))
  ctx.onStop('scoring queue', () => scoringQueue.close())
  // Dead letters and events parked for verification.
  const producer = ctx.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  ctx.onStop('processor producer', () => producer.disconnect())
  const registryCall = registryRest(ctx.registryTarget)
  const clickhouse = ctx.clickhouseFor('processor')
  const processor = await startEventProcessor({
    typedTables: new TypedTables(
      (sql) => clickhouse.command({ query: sql }),
      async (id) => {
        const res = await registryCall('GET', `/schemas/ids/${id}`)
        if (res.status !== 200) throw new Error(`registry answered ${res.status} for schema ${id}`)
        return res.body.schema as string
      },
    ),
    dlqTopic: config.dlqTopic,
    verifyTopic: config.verifyTopic,
    producer,
    kafka: ctx.kafka,
    topic: config.eventsTopic,
    groupId: config.consumerGroup,
    registry: ctx.registry,
    clickhouse,
    scoringQueue,
    scoringDebounceMs: config.scoringDebounceMs,
    batch: config.processorBatch,
    logger,
    metrics: createProcessorMetrics(ctx.metrics),
  })
  ctx.onStop('event processor', () => processor.stop())
  const playbooks = await ctx.playbooks()
  const drift = await startDriftProcessor({ kafka: ctx.kafka, topic: config.driftTopic, groupId: `${config.consumerGroup}.drift`, clickhouse, logger, publish: ctx.scoreEvents.publishDrift, beforeStore: async (records) => void (await playbooks.afterDrift(records)) })
  ctx.onStop('drift processor', () => drift.stop())
  return { pausedPartitions: processor.paused }
}
