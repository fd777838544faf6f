import fs from 'node:fs'
import path from 'node:path'
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { Kafka, Partitioners } from 'kafkajs'
import { ApiKeys, BatchingProducer, createGateway, createGatewayMetrics, DriftCollector, EventSchemas, generateApiKey, MessageIds } from '../gateway/index.js'
import { createGraphQLServer } from '../graphql/index.js'
import { migrate } from '../migrations/runner.js'
import { createScoreEvents, createScoringQueue, startDriftProcessor, startEventProcessor, startScoringWorker, TypedTables, type PausedPartition } from '../processors/index.js'
import { createRegistryServer, SchemaStore } from '../registry/index.js'
import { registryRest } from '../registry/rest-client.js'
import { pushCatalog } from '../schemas/index.js'
import { createClickHouse } from './clickhouse.js'
import type { Component, PulseConfig } from './config.js'
import { startKafkaBroker } from './kafka-broker.js'
import { kafkaLogCreator, type Logger } from './logger.js'
import { startRedisServer } from './redis-server.js'
import { writeEndpoints } from './endpoints-file.js'

export interface Platform {
  /** Empty strings for components this process does not run. */
  endpoints: { gateway: string; registry: string; graphql: string; graphqlWs: string; kafka: string[]; redis: string; clickhouse: string }
  /** Set when PULSE_API_KEYS was empty and a development key was made. */
  generatedApiKey?: { name: string; secret: string }
  registeredSchemas: { subject: string; id: number }[]
  /** The event processor's partitions paused while a dependency is away (empty when it does not run here). */
  pausedPartitions(): PausedPartition[]
  stop(): Promise<void>
}

/**
 * Starts every Pulse component in this process, launching local Kafka and Redis unless the config points
 * at existing ones. Components stop in reverse order, so nothing the gateway acknowledged is dropped:
 * the gateway stops accepting first, then the producer drains, then the consumers leave their group.
 */
export async function startPlatform(config: PulseConfig, logger: Logger): Promise<Platform> {
  const stops: Stops = []
  const stop = async () => {
    for (const [name, s] of stops.reverse()) {
      const began = Date.now()
      await s().catch((err) => logger.warn({ err }, `error while stopping ${name}`))
      logger.debug(`stopped ${name} in ${Date.now() - began} ms`)
    }
    stops.length = 0
  }
  try {
    return await start(config, logger, stops, stop)
  } catch (err) {
    await stop()
    throw err
  }
}

/** Shutdown steps, named for the log, in start order (run in reverse). */
type Stops = [string, () => Promise<unknown>][]

async function start(config: PulseConfig, logger: Logger, stops: Stops, stop: () => Promise<void>): Promise<Platform> {
  const log = (msg: string) => logger.info(msg)

  let brokers = config.kafkaBrokers
  if (!brokers) {
    log('starting Kafka (KRaft, single node)')
    const broker = await startKafkaBroker({ dataDir: config.dataDir, host: config.host, port: config.ports.kafka, log })
    stops.push(['kafka broker', () => broker.stop()])
    brokers = broker.brokers
  }
  let redisUrl = config.redisUrl
  if (!redisUrl) {
    log('starting redis-server')
    const redis = await startRedisServer({ dataDir: config.dataDir, host: config.host, port: config.ports.redis })
    stops.push(['redis-server', () => redis.stop()])
    redisUrl = redis.url
  }

  const clickhouse = createClickHouse({ url: config.clickhouseUrl, dataDir: config.dataDir })
  stops.push(['clickhouse client', () => clickhouse.close()])
  const applied = await migrate(clickhouse)
  if (applied.length) log(`applied ClickHouse migrations: ${applied.join(', ')}`)

  const runs = (c: Component) => config.components.has(c)
  let registryUrl = config.registryUrl
  if (!registryUrl && runs('registry')) {
    const store = SchemaStore.open(path.join(config.dataDir, 'registry'))
    stops.push(['registry store', async () => store.close()])
    const registryServer = createRegistryServer({ store, logger })
    registryUrl = await listen(registryServer, config.host, config.ports.registry)
    stops.push(['registry server', () => registryServer.close()])
  }
  if (!registryUrl) throw new Error('no schema registry: run the registry component or set PULSE_REGISTRY_URL')
  const registry = new SchemaRegistry({ host: registryUrl })
  const registryCall = registryRest(registryUrl)
  let registeredSchemas: Platform['registeredSchemas'] = []
  if (runs('registry') || runs('gateway')) {
    const pushed = await pushCatalog(registryUrl)
    const refused = pushed.filter((r) => r.status === 'refused')
    if (refused.length) throw new Error(`the registry refused catalog schemas: ${refused.map((r) => `${r.subject} (${r.message})`).join('; ')}`)
    registeredSchemas = pushed.map((r) => ({ subject: r.subject, id: r.id! }))
  }

  const kafka = new Kafka({ clientId: 'pulse', brokers, logCreator: kafkaLogCreator(logger) })
  const admin = kafka.admin()
  await admin.connect()
  const existing = await admin.listTopics()
  const missing = [config.eventsTopic, config.driftTopic, config.dlqTopic].filter((t) => !existing.includes(t))
  if (missing.length) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true })
  stops.push(['kafka admin', () => admin.disconnect()])

  const redisOptions = { maxRetriesPerRequest: null }
  const bullConnection = new Redis(redisUrl, redisOptions)
  const publishClient = new Redis(redisUrl, redisOptions)
  const subscribeClient = new Redis(redisUrl, redisOptions)
  // ioredis reconnects on its own; while Redis is away each attempt fails, which is worth a log line, not a crash.
  for (const client of [bullConnection, publishClient, subscribeClient]) {
    client.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'))
  }
  stops.push(['redis clients', async () => {
    bullConnection.disconnect()
    publishClient.disconnect()
    subscribeClient.disconnect()
  }])
  const scoreEvents = createScoreEvents({ publishClient, subscribeClient, channel: `${config.redisPrefix}:health-score-changed` })
  if (runs('scoring')) {
    const worker = startScoringWorker({ connection: bullConnection, prefix: config.redisPrefix, clickhouse, publish: scoreEvents.publish, logger })
    stops.push(['scoring worker', () => worker.close()])
  }

  let pausedPartitions: Platform['pausedPartitions'] = () => []
  if (runs('processor')) {
    // The processor's queue fails fast (BullMQ's pattern for Redis being down): an enqueue that waited for a
    // reconnect would hold the batch without heartbeats; failing lets the partition pause and retry instead.
    const queueRedis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    queueRedis.on('error', (err) => logger.warn({ err: err.message }, 'scoring queue redis connection error'))
    await queueRedis.connect()
    stops.push(['scoring queue redis', async () => queueRedis.disconnect()])
    const scoringQueue = createScoringQueue(queueRedis, config.redisPrefix)
    scoringQueue.on('error', (err) => logger.warn({ err: err.message }, 'scoring queue error'))
    stops.push(['scoring queue', () => scoringQueue.close()])
    const dlqProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await dlqProducer.connect()
    stops.push(['dead-letter producer', () => dlqProducer.disconnect()])
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
      dlqProducer,
      kafka,
      topic: config.eventsTopic,
      groupId: config.consumerGroup,
      registry,
      clickhouse,
      scoringQueue,
      scoringDebounceMs: config.scoringDebounceMs,
      batch: config.processorBatch,
      logger,
    })
    stops.push(['event processor', () => processor.stop()])
    pausedPartitions = processor.paused
    const driftProcessor = await startDriftProcessor({ kafka, topic: config.driftTopic, groupId: `${config.consumerGroup}.drift`, clickhouse, logger })
    stops.push(['drift processor', () => driftProcessor.stop()])
  }

  let graphqlUrl = ''
  if (runs('graphql')) {
    const graphqlServer = await createGraphQLServer({ clickhouse, scoreEvents, logger })
    graphqlUrl = await listen(graphqlServer.app, config.host, config.ports.graphql)
    stops.push(['graphql server', () => graphqlServer.close()])
  }

  let gatewayUrl = ''
  let generatedApiKey: Platform['generatedApiKey']
  if (runs('gateway')) {
    // Few, short retries: while Kafka is down a caller should get its 503 within seconds, not hang for kafkajs's
    // default of five retries up to 30 s each; its client retries on its own schedule anyway.
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
    })
    await producer.connect()
    stops.push(['kafka producer', () => producer.disconnect()])
    const batching = new BatchingProducer(producer, config.eventsTopic, { lingerMs: config.produceLingerMs, maxBatch: 1000 })
    stops.push(['produce batches', () => batching.drain()])

    const drift = new DriftCollector(producer, config.driftTopic, 1000, logger)
    stops.push(['drift collector', () => drift.stop()])

    // Its own connection, failing fast: while Redis is away a request should get its 503 at once, not queue.
    const gatewayRedis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    gatewayRedis.on('error', (err) => logger.warn({ err: err.message }, 'gateway redis connection error'))
    await gatewayRedis.connect()
    stops.push(['gateway redis', async () => gatewayRedis.disconnect()])

    let apiKeys = config.apiKeys
    if (!apiKeys?.size) {
      generatedApiKey = generateApiKey()
      apiKeys = new Map([[generatedApiKey.name, generatedApiKey.secret]])
    }
    const gateway = await createGateway({
      registry,
      schemas: new EventSchemas(registryUrl, registry),
      limits: config.limits,
      metrics: createGatewayMetrics(async () => {
        const [ends, [group]] = await Promise.all([
          admin.fetchTopicOffsets(config.eventsTopic),
          admin.fetchOffsets({ groupId: config.consumerGroup, topics: [config.eventsTopic] }),
        ])
        const committed = new Map(group.partitions.map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]))
        return ends.map((e) => ({ topic: config.eventsTopic, partition: e.partition, end: BigInt(e.high), committed: committed.get(e.partition) ?? 0n }))
      }),
      messageIds: new MessageIds(gatewayRedis, config.redisPrefix),
      drift,
      checkReady: async () => {
        const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))])
        const [kafkaOk, registryOk] = await Promise.all([
          within(admin.describeCluster()).then((c) => c.brokers.length > 0, () => false),
          within(fetch(`${registryUrl}/subjects`)).then((r) => r.ok, () => false),
        ])
        return { kafka: kafkaOk, registry: registryOk }
      },
      producer: batching,
      apiKeys: new ApiKeys(gatewayRedis, config.redisPrefix, apiKeys),
      rateLimit: config.rateLimit,
      lenientSubjects: config.lenientSubjects,
      rateLimitRedis: gatewayRedis,
      logger,
    })
    gatewayUrl = await listen(gateway, config.host, config.ports.gateway)
    stops.push(['gateway', () => gateway.close()])
  }

  // Where this running Pulse can be reached, for the CLI's other commands (keys, drift, registry).
  const endpointsFile = writeEndpoints(config.dataDir, { gateway: gatewayUrl, registry: registryUrl, graphql: graphqlUrl && `${graphqlUrl}/graphql`, redis: redisUrl, redisPrefix: config.redisPrefix, kafka: brokers })
  stops.push(['endpoints file', async () => fs.rmSync(endpointsFile, { force: true })])

  return {
    endpoints: {
      gateway: gatewayUrl,
      registry: registryUrl,
      graphql: graphqlUrl && `${graphqlUrl}/graphql`,
      graphqlWs: graphqlUrl && `${graphqlUrl.replace(/^http/, 'ws')}/graphql`,
      kafka: brokers,
      redis: redisUrl,
      clickhouse: config.clickhouseUrl ?? `embedded chDB at ${path.join(config.dataDir, 'clickhouse')}`,
    },
    generatedApiKey,
    registeredSchemas,
    pausedPartitions,
    stop,
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port')
  return `http://${host}:${address.port}`
}
