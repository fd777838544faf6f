import 'reflect-metadata'
import { ApolloServer } from '@apollo/server'
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify'
import type { ClickHouseClient } from '@clickhouse/client'
import Fastify, { type FastifyInstance } from 'fastify'
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql'
import { useServer } from 'graphql-ws/use/ws'
import type { Logger } from 'pino'
import { buildSchema } from 'type-graphql'
import { WebSocketServer } from 'ws'
import type { LoadedScorecard, ScoreEvents } from '../processors/scoring/index.js'
import type { KpiTargets } from '../processors/kpis/index.js'
import { AccountResolver } from './account.js'
import { Account360Resolver } from './account-360.js'
import { AccountUsersResolver } from './account-users.js'
import { AccountListResolver } from './accounts.js'
import { KpiResolver } from './kpis.js'
import { PortfolioResolver } from './portfolio.js'
import { SchemaResolver } from './schemas.js'
import { ChangeSubscriptionResolver } from './subscriptions.js'
import { AccountChurnResolver, ChurnModelResolver } from './churn.js'
import type { GraphQLContext } from './context.js'
import { DriftResolver } from './drift.js'
import { WebhookResolver } from './webhooks.js'
import { HealthScoreResolver, HealthScoreSubscriptionResolver } from './health-score.js'
import { ScorecardDryRunResolver } from './scorecard-dry-run.js'
import { TaskResolver } from './tasks.js'
import { AlertResolver } from './alerts.js'
import { createLoaders } from './loaders.js'
import { formatError, queryProtection, withQueryTimeout } from './protection.js'
import { operationAccessPlugin, readerOf, webSocketAccess, type WsExtra } from './access.js'
import type { ApiKey, ApiKeys } from '../runtime/auth/index.js'
import { httpServerOptions, logRequests } from '../runtime/http.js'
import { serveConsole } from './console-site.js'

export interface GraphQLServerDeps {
  clickhouse: ClickHouseClient
  /** Who may query: every request needs a key with read (over HTTP and WebSocket); mutations also need write. */
  apiKeys: ApiKeys
  /** The Authorization header this server presents to the registry for the `schemas` query. */
  registryAuthorization?: string
  scoreEvents: ScoreEvents
  scorecard: LoadedScorecard
  logger?: Logger
  trainChurn?: GraphQLContext['trainChurn']
  /** Test deliveries and replays (`testWebhook`, `replayWebhookDelivery`); absent: they answer SERVICE_UNAVAILABLE. */
  webhooks?: GraphQLContext['webhooks']
  /** The schema registry's base URL, for the read-only `schemas` query. */
  registryUrl?: string
  /** The onboarding milestone that counts as first value (time to value); absent: the first of any id. */
  ttvMilestone?: string
  /** The metric sheet's targets the `kpiTargets` query answers (PULSE_KPI_TARGETS). */
  kpiTargets?: KpiTargets
  /** The web console under /console/ (its built files); false leaves it out. @defaultValue console/dist */
  console?: { dist?: string } | false
  /** The longest a ClickHouse query of a request may run. @defaultValue 10 s */
  queryTimeoutMs?: number
}

/** The API's schema; without score events (printing the SDL) subscriptions are declared but cannot run. */
export async function buildPulseSchema(scoreEvents?: ScoreEvents): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AccountResolver, Account360Resolver, AccountUsersResolver, AccountListResolver, SchemaResolver, KpiResolver, PortfolioResolver, ChangeSubscriptionResolver, AccountChurnResolver, ChurnModelResolver, HealthScoreResolver, HealthScoreSubscriptionResolver, DriftResolver, ScorecardDryRunResolver, TaskResolver, AlertResolver, WebhookResolver],
    pubSub: (scoreEvents?.pubSub ?? { publish() {}, subscribe: () => (async function* () {})() }) as never,
    validate: false,
  })
}

/**
 * The SDL, types in alphabetical order so a change reads as a small diff: `pulse graphql schema` prints it and
 * docs/schema.graphql holds it (a test fails when they differ, so API changes are reviewed like event schemas).
 */
export async function printPulseSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildPulseSchema()))}\n`
}

export interface GraphQLServer {
  /** Listen on this; it serves HTTP and the WebSocket upgrade on /graphql. */
  app: FastifyInstance
  /** Closes subscriptions, then drains and closes the HTTP server. */
  close(): Promise<void>
}

/**
 * GraphQL over HTTP (Apollo Server on Fastify) and over WebSocket (graphql-ws, same port and path) for
 * subscriptions.
 */
export async function createGraphQLServer(deps: GraphQLServerDeps): Promise<GraphQLServer> {
  const schema = await buildPulseSchema(deps.scoreEvents)
  const clickhouse = withQueryTimeout(deps.clickhouse, deps.queryTimeoutMs ?? 10_000)
  const protection = queryProtection()
  const context = (apiKey: ApiKey): GraphQLContext => ({
    apiKey,
    clickhouse,
    topics: deps.scoreEvents.topics,
    scorecard: deps.scorecard,
    trainChurn: deps.trainChurn,
    webhooks: deps.webhooks,
    ttvMilestone: deps.ttvMilestone,
    kpiTargets: deps.kpiTargets,
    registryUrl: deps.registryUrl,
    registryAuthorization: deps.registryAuthorization,
    loaders: createLoaders(clickhouse),
  })
  const app = Fastify(httpServerOptions(deps.logger, 'graphql'))
  logRequests(app)

  const wsServer = new WebSocketServer({ server: app.server, path: '/graphql' })
  const wsCleanup = useServer<Record<string, unknown> | undefined, WsExtra>(
    { schema, context: (ctx) => context(ctx.extra.apiKey!), validate: protection.validate, ...webSocketAccess(deps.apiKeys, protection.parseOptions) },
    wsServer,
  )

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // The platform owns shutdown order; Apollo stopping itself on SIGINT would race it.
    stopOnTerminationSignals: false,
    validationRules: protection.validationRules,
    parseOptions: protection.parseOptions,
    includeStacktraceInErrorResponses: false,
    formatError: formatError((err) => deps.logger?.error({ err }, 'graphql request failed')),
    plugins: [
      operationAccessPlugin(),
      ...protection.plugins,
      // Apollo runs drainServer hooks together: subscriptions end while the drain plugin closes Fastify.
      fastifyApolloDrainPlugin(app),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose()
              await new Promise<void>((resolve) => wsServer.close(() => resolve()))
            },
          }
        },
      },
    ],
  })
  await apollo.start()
  await app.register(fastifyApollo(apollo), { path: '/graphql', context: async (request) => context(await readerOf(deps.apiKeys, request.headers.authorization)) })
  if (deps.console !== false) await serveConsole(app, deps.console?.dist)
  return { app, close: () => apollo.stop() }
}
