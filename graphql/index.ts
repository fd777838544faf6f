import 'reflect-metadata'
import { ApolloServer } from '@apollo/server'
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify'
import type { ClickHouseClient } from '@clickhouse/client'
import Fastify, { type FastifyInstance } from 'fastify'
import type { GraphQLSchema } from 'graphql'
import { useServer } from 'graphql-ws/use/ws'
import type { Logger } from 'pino'
import { buildSchema } from 'type-graphql'
import { WebSocketServer } from 'ws'
import type { LoadedScorecard, ScoreEvents } from '../processors/scoring/index.js'
import { AccountResolver } from './account.js'
import { AccountChurnResolver, ChurnModelResolver } from './churn.js'
import type { GraphQLContext } from './context.js'
import { DriftResolver } from './drift.js'
import { HealthScoreResolver, HealthScoreSubscriptionResolver } from './health-score.js'
import { ScorecardDryRunResolver } from './scorecard-dry-run.js'
import { httpServerOptions, logRequests } from '../runtime/http.js'

export interface GraphQLServerDeps {
  clickhouse: ClickHouseClient
  scoreEvents: ScoreEvents
  scorecard: LoadedScorecard
  logger?: Logger
  trainChurn?: GraphQLContext['trainChurn']
}

export async function buildPulseSchema(scoreEvents: ScoreEvents): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AccountResolver, AccountChurnResolver, ChurnModelResolver, HealthScoreResolver, HealthScoreSubscriptionResolver, DriftResolver, ScorecardDryRunResolver],
    pubSub: scoreEvents.pubSub as never,
    validate: false,
  })
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
  const context = (): GraphQLContext => ({ clickhouse: deps.clickhouse, scoreTopic: deps.scoreEvents.channel, scorecard: deps.scorecard, trainChurn: deps.trainChurn })
  const app = Fastify(httpServerOptions(deps.logger, 'graphql'))
  logRequests(app)

  const wsServer = new WebSocketServer({ server: app.server, path: '/graphql' })
  const wsCleanup = useServer({ schema, context }, wsServer)

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // The platform owns shutdown order; Apollo stopping itself on SIGINT would race it.
    stopOnTerminationSignals: false,
    plugins: [
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
  await app.register(fastifyApollo(apollo), { path: '/graphql', context: async () => context() })
  return { app, close: () => apollo.stop() }
}
