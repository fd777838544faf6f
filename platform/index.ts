import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Redis, type RedisOptions } from 'ioredis'
import { Kafka } from 'kafkajs'
import { migrate } from '../migrations/runner.js'
import type { PausedPartition } from '../processors/index.js'
import { createScoreEvents } from '../processors/scoring/index.js'
import { createPlaybookRunner, type PlaybookRunner } from '../processors/playbooks/index.js'
import { createRegistryServer, schemaRegistryClient, SchemaStore, type RegistryTarget } from '../registry/index.js'
import { pushCatalog } from '../schemas/index.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { startKafkaBroker } from '../runtime/kafka-broker.js'
import { kafkaLogCreator, type Logger } from '../runtime/logger.js'
import { startRedisServer } from '../runtime/redis-server.js'
import { writeEndpoints } from '../runtime/endpoints-file.js'
import { ApiKeys, bearer, generateApiKey, SCOPES, type ConfiguredKey } from '../runtime/auth/index.js'
import type { Component, PulseConfig } from './config.js'
import type { ComponentStarted, PlatformContext } from './context.js'
import { startGateway } from './components/gateway.js'
import { startGraphQL } from './components/graphql.js'
import { startProcessor } from './components/processor.js'
import { startScoring } from './components/scoring.js'
import { startChurn } from './components/churn.js'
import { startPlaybooks } from './components/playbooks.js'
import { createMetricsServer } from './metrics-server.js'
import { createPlatformRegistry } from './process-metrics.js'

/**
 * The components after the shared infrastructure, in start order: consumers before the servers that feed
 * them, the gateway last, so it stops first and nothing it acknowledged is dropped.
 */
const COMPONENTS: [Exclude<Component, 'registry'>, (ctx: PlatformContext) => Promise<ComponentStarted>][] = [
  ['scoring', startScoring],
  ['churn', startChurn],
  ['playbooks', startPlaybooks],
  ['processor', startProcessor],
  ['graphql', startGraphQL],
  ['gateway', startGateway],
]

export interface Platform {
  /** Empty strings for components this process does not run. */
  endpoints: { gateway: string; registry: string; graphql: string; graphqlWs: string; console: string; metrics: string; kafka: string[]; redis: string; clickhouse: string }
  /** Set when PULSE_API_KEYS was empty and a development key was made. */
  generatedApiKey?: { name: string; secret: string }
  registeredSchemas: { subject: string; id: number }[]
  /** The event processor's partitions paused while a dependency is away (empty when it does not run here). */
  pausedPartitions(): PausedPartition[]
  stop(): Promise<void>
}

/**
 * Starts the Pulse components `config.components` names in this process, launching local Kafka and Redis
 * unless the config points at existing ones. Components stop in reverse order: the gateway stops accepting
 * first, then the producer drains, then the consumers leave their group.
 */
export async function startPlatform(config: PulseConfig, logger: Logger): Promise<Platform> {
  const stops: [string, () => Promise<unknown>][] = []
  const stop = async () => {
    for (const [name, s] of stops.reverse()) {
      const began = Date.now()
      await s().catch((err) => logger.warn({ err }, `error while stopping ${name}`))
      logger.debug(`stopped ${name} in ${Date.now() - began} ms`)
    }
    stops.length = 0
  }
  try {
    return await start(config, logger, (name, s) => stops.push([name, s]), stop)
  } catch (err) {
    await stop()
    throw err
  }
}

async function start(config: PulseConfig, logger: Logger, onStop: PlatformContext['onStop'], stop: () => Promise<void>): Promise<Platform> {
  const log = (msg: string) => logger.info(msg)
  const listen = (app: FastifyInstance, port: number) => listenOn(app, config.host, port)

  let brokers = config.kafkaBrokers
  if (!brokers) {
    log('starting Kafka (KRaft, single node)')
    const broker = await startKafkaBroker({ dataDir: config.dataDir, host: config.host, port: config.ports.kafka, log })
    onStop('kafka broker', () => broker.stop())
    brokers = broker.brokers
  }
  let redisUrl = config.redisUrl
  if (!redisUrl) {
    log('starting redis-server')
    const redis = await startRedisServer({ dataDir: config.dataDir, host: config.host, port: config.ports.redis })
    onStop('redis-server', () => redis.stop())
    redisUrl = redis.url
  }

  const url = redisUrl
  const redis = async (name: string, options: RedisOptions) => {
    const client = new Redis(url, { lazyConnect: true, ...options })
    // ioredis reconnects on its own; while Redis is away each attempt fails, which is worth a log line, not a crash.
    client.on('error', (err) => logger.warn({ err: err.message }, `${name} redis connection error`))
    await client.connect()
    onStop(`${name} redis`, async () => client.disconnect())
    return client
  }

  // Every surface but /metrics, /healthz and /readyz needs a key: PULSE_API_KEYS, or a development key with
  // every scope, printed at start. The process also makes a key of its own, for calls between the components
  // it runs (pushing the catalog, reading schemas); it never leaves memory.
  let generatedApiKey: Platform['generatedApiKey']
  let configuredKeys = config.apiKeys
  if (!configuredKeys?.size) {
    generatedApiKey = generateApiKey()
    configuredKeys = new Map([[generatedApiKey.name, { secret: generatedApiKey.secret, scopes: [...SCOPES] }]])
  }
  const own = generateApiKey(OWN_KEY_NAME)
  // Its own connection, failing fast: while Redis is away a request should get its 503 at once, not queue.
  const apiKeys = new ApiKeys(await redis('api-keys', { maxRetriesPerRequest: 1, enableOfflineQueue: false }), config.redisPrefix, new Map([...configuredKeys, [own.name, { secret: own.secret, scopes: [...SCOPES] }]]))

  const clickhouse = createClickHouse({ url: config.clickhouseUrl, dataDir: config.dataDir })
  onStop('clickhouse client', () => clickhouse.close())
  const applied = await migrate(clickhouse)
  if (applied.length) log(`applied ClickHouse migrations: ${applied.join(', ')}`)

  const runs = (c: Component) => config.components.has(c)
  let registryUrl = config.registryUrl
  if (!registryUrl && runs('registry')) {
    const store = SchemaStore.open(path.join(config.dataDir, 'registry'))
    onStop('registry store', async () => store.close())
    const registryServer = createRegistryServer({ store, logger, access: { apiKeys, openReads: config.registryOpenReads } })
    registryUrl = await listen(registryServer, config.ports.registry)
    onStop('registry server', () => registryServer.close())
  }
  if (!registryUrl) throw new Error('no schema registry: run the registry component or set PULSE_REGISTRY_URL')
  const registryHere = !config.registryUrl
  const serviceKey = config.serviceKey ?? (registryHere ? own.secret : firstKeyFor('admin', configuredKeys))
  const registry: RegistryTarget = { url: registryUrl, authorization: bearer(serviceKey) }
  let registeredSchemas: Platform['registeredSchemas'] = []
  if (runs('registry') || runs('gateway')) {
    const pushed = await pushCatalog(registry)
    const refused = pushed.filter((r) => r.status === 'refused')
    const keyHint = refused.some((r) => /^40[13]:/.test(r.message ?? '')) ? ` (the registry at ${registryUrl} needs a key with the admin scope: set PULSE_API_KEY)` : ''
    if (refused.length) throw new Error(`the registry refused catalog schemas${keyHint}: ${refused.map((r) => `${r.subject} (${r.message})`).join('; ')}`)
    registeredSchemas = pushed.map((r) => ({ subject: r.subject, id: r.id! }))
  }

  const kafka = new Kafka({ clientId: 'pulse', brokers, logCreator: kafkaLogCreator(logger) })
  const admin = kafka.admin()
  await admin.connect()
  const existing = await admin.listTopics()
  const missing = [config.eventsTopic, config.driftTopic, config.dlqTopic, config.verifyTopic].filter((t) => !existing.includes(t))
  // Marked events are few: one partition of their own makes one check and one insert per fetch, not three.
  if (missing.length) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: topic === config.verifyTopic ? 1 : 3 })), waitForLeaders: true })
  onStop('kafka admin', () => admin.disconnect())

  const shared = { maxRetriesPerRequest: null }
  const [bullConnection, publishClient, subscribeClient] = await Promise.all([redis('bullmq', shared), redis('publish', shared), redis('subscribe', shared)])
  const scoreEvents = createScoreEvents({ publishClient, subscribeClient, channel: `${config.redisPrefix}:health-score-changed` })

  const clickhouseFor = (component: string) => {
    if (config.clickhouseUrl) return clickhouse
    const own = createClickHouse({ dataDir: config.dataDir })
    onStop(`${component} clickhouse connection`, () => own.close())
    return own
  }
  let playbooks: Promise<PlaybookRunner> | undefined
  const playbookRunner = () =>
    (playbooks ??= redis('playbooks', shared).then((connection) =>
      createPlaybookRunner({ clickhouse: clickhouseFor('playbooks'), redis: connection, prefix: config.redisPrefix, rules: config.rules.rules, logger }),
    ))
  // One registry per platform, not prom-client's global one: tests run several platforms in one process.
  const metrics = createPlatformRegistry()
  const ctx: PlatformContext = { config, logger, clickhouse, clickhouseFor, kafka, admin, brokers, redisUrl, registryUrl, registryTarget: registry, registry: schemaRegistryClient(registry), apiKeys, bullConnection, scoreEvents, metrics, playbooks: playbookRunner, redis, onStop, listen }
  const started: ComponentStarted = {}
  for (const [name, startComponent] of COMPONENTS) if (runs(name)) Object.assign(started, await startComponent(ctx))
  // The gateway serves /metrics where it runs; any other process on a port of its own.
  let metricsBase = started.gateway
  if (!metricsBase) {
    const metricsServer = createMetricsServer(metrics, logger)
    metricsBase = await listen(metricsServer, config.ports.metrics)
    onStop('metrics server', () => metricsServer.close())
  }

  // Where this running Pulse can be reached, for the CLI's other commands (keys, drift, registry, score).
  const graphql = started.graphql ? `${started.graphql}/graphql` : ''
  const endpointsFile = writeEndpoints(config.dataDir, { gateway: started.gateway ?? '', registry: registryUrl, graphql, redis: redisUrl, redisPrefix: config.redisPrefix, kafka: brokers, apiKey: generatedApiKey?.secret })
  onStop('endpoints file', async () => fs.rmSync(endpointsFile, { force: true }))

  return {
    endpoints: {
      gateway: started.gateway ?? '',
      registry: registryUrl,
      graphql,
      graphqlWs: graphql.replace(/^http/, 'ws'),
      console: started.graphql ? `${started.graphql}/console/` : '',
      metrics: `${metricsBase}/metrics`,
      kafka: brokers,
      redis: redisUrl,
      clickhouse: config.clickhouseUrl ?? `embedded chDB at ${path.join(config.dataDir, 'clickhouse')}`,
    },
    generatedApiKey,
    registeredSchemas,
    pausedPartitions: started.pausedPartitions ?? (() => []),
    stop,
  }
}

/** The name of the key a process makes for itself (PULSE_API_KEYS may not use it). */
export const OWN_KEY_NAME = 'pulse-internal'

/** The first key with `scope`, else the first key: what a process presents to a registry it does not run. */
function firstKeyFor(scope: (typeof SCOPES)[number], keys: Map<string, ConfiguredKey>): string {
  const all = [...keys.values()]
  return (all.find((k) => k.scopes.includes(scope)) ?? all[0]).secret
}

async function listenOn(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port')
  return `http://${host}:${address.port}`
}
