import { Partitioners } from 'kafkajs'
import { BatchingProducer, createGateway, createGatewayMetrics, DriftCollector, EventSchemas, MessageIds } from '../../gateway/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

/** The HTTP gateway: validates and produces events. */
export async function startGateway(ctx: PlatformContext): Promise<ComponentStarted> {
  const { config, logger, admin } = ctx
  // Few, short retries: while Kafka is down a caller should get its 503 within seconds, not hang for kafkajs's
  // default of five retries up to 30 s each; its client retries on its own schedule anyway.
  const producer = ctx.kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
  })
  await producer.connect()
  ctx.onStop('kafka producer', () => producer.disconnect())
  const batching = new BatchingProducer(producer, config.eventsTopic, { lingerMs: config.produceLingerMs, maxBatch: 1000 })
  ctx.onStop('produce batches', () => batching.drain())

  const drift = new DriftCollector(producer, config.driftTopic, 1000, logger)
  ctx.onStop('drift collector', () => drift.stop())

  // Its own connection, failing fast: while Redis is away a request should get its 503 at once, not queue.
  const gatewayRedis = await ctx.redis('gateway', { maxRetriesPerRequest: 1, enableOfflineQueue: false })

  const gateway = await createGateway({
    registry: ctx.registry,
    schemas: new EventSchemas(ctx.registryTarget, ctx.registry),
    limits: config.limits,
    metrics: createGatewayMetrics(async () => {
      const [ends, [group]] = await Promise.all([
        admin.fetchTopicOffsets(config.eventsTopic),
        admin.fetchOffsets({ groupId: config.consumerGroup, topics: [config.eventsTopic] }),
      ])
      const committed = new Map(group.partitions.map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]))
      return ends.map((e) => ({ topic: config.eventsTopic, partition: e.partition, end: BigInt(e.high), committed: committed.get(e.partition) ?? 0n }))
    }, ctx.metrics),
    messageIds: new MessageIds(gatewayRedis, config.redisPrefix),
    drift,
    checkReady: async () => {
      const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))])
      const [kafkaOk, registryOk] = await Promise.all([
        within(admin.describeCluster()).then((c) => c.brokers.length > 0, () => false),
        within(fetch(`${ctx.registryUrl}/subjects`, { headers: { authorization: ctx.registryTarget.authorization ?? '' } })).then((r) => r.ok, () => false),
      ])
      return { kafka: kafkaOk, registry: registryOk }
    },
    producer: batching,
    apiKeys: ctx.apiKeys,
    rateLimit: config.rateLimit,
    lenientSubjects: config.lenientSubjects,
    segmentAccountPaths: config.segmentAccountPaths,
    rateLimitRedis: gatewayRedis,
    logger,
  })
  const url = await ctx.listen(gateway, config.ports.gateway)
  ctx.onStop('gateway', () => gateway.close())
  return { gateway: url }
}
