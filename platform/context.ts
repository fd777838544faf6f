import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { Redis, RedisOptions } from 'ioredis'
import type { Admin, Kafka } from 'kafkajs'
import type { ApiKeys } from '../runtime/auth/index.js'
import type { ClickHouseClient } from '../runtime/clickhouse.js'
import type { RegistryTarget } from '../registry/index.js'
import type { Logger } from '../runtime/logger.js'
import type { ScoreEvents } from '../processors/scoring/index.js'
import type { PausedPartition } from '../processors/index.js'
import type { PlaybookRunner } from '../processors/playbooks/index.js'
import type { PulseConfig } from './config.js'

/** What every component is started with: the config and the clients the platform set up for it. */
export interface PlatformContext {
  config: PulseConfig
  logger: Logger
  /** The platform's own client (migrations, health checks). Components take one of their own: `clickhouseFor`. */
  clickhouse: ClickHouseClient
  /**
   * A ClickHouse client for one component. Embedded chDB runs one query at a time per connection, so each
   * component gets a connection of its own to the same data: the scoring worker's reads do not queue behind
   * the processor's inserts. With a ClickHouse server, the shared client (its HTTP pool serves everyone).
   */
  clickhouseFor(component: string): ClickHouseClient
  kafka: Kafka
  admin: Admin
  brokers: string[]
  redisUrl: string
  registryUrl: string
  /** The registry with this process's credentials for it. */
  registryTarget: RegistryTarget
  /** The kafkajs registry client, presenting those credentials. */
  registry: SchemaRegistry
  /** Every key this process accepts (PULSE_API_KEYS or the development key, stored keys, its own). */
  apiKeys: ApiKeys
  /** Shared BullMQ connection (blocking commands allowed, retries forever). */
  bullConnection: Redis
  scoreEvents: ScoreEvents
  /** The process's Prometheus registry: every component's metrics, served at `/metrics`. */
  metrics: Registry
  /**
   * The playbooks' evaluation edge, shared by the components that notice state changes (scoring, churn, the
   * drift processor): made on first use, with its own Redis and ClickHouse connections.
   */
  playbooks(): Promise<PlaybookRunner>
  /** A connected Redis client of the component's own, its errors logged, disconnected at stop. */
  redis(name: string, options: RedisOptions): Promise<Redis>
  /** Runs `stop` when the platform stops, in reverse order of registration. */
  onStop(name: string, stop: () => Promise<unknown>): void
  listen(app: FastifyInstance, port: number): Promise<string>
}

/** What a started component adds to the platform's description. */
export interface ComponentStarted {
  gateway?: string
  graphql?: string
  pausedPartitions?: () => PausedPartition[]
}
