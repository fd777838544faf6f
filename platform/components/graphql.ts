import { createGraphQLServer } from '../../graphql/index.js'
import type { ComponentStarted, PlatformContext } from '../context.js'

export async function startGraphQL(ctx: PlatformContext): Promise<ComponentStarted> {
  const server = await createGraphQLServer({ clickhouse: ctx.clickhouseFor('graphql'), scoreEvents: ctx.scoreEvents, scorecard: ctx.config.scorecard, logger: ctx.logger })
  const url = await ctx.listen(server.app, ctx.config.ports.graphql)
  ctx.onStop('graphql server', () => server.close())
  return { graphql: url }
}
