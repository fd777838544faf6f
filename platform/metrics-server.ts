import Fastify, { type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { hangUpWhenClosing, httpServerOptions, logRequests } from '../runtime/http.js'
import type { Logger } from '../runtime/logger.js'

/**
 * `/metrics` (and `/healthz`) for a process that does not run the gateway, which serves them otherwise: a
 * processor or scoring worker split out with PULSE_COMPONENTS is scraped like any other Prometheus target.
 * Open, like the gateway's: what it shows is counts and timings, not data.
 */
export function createMetricsServer(registry: Registry, logger?: Logger): FastifyInstance {
  const app = Fastify(httpServerOptions(logger, 'metrics'))
  logRequests(app)
  hangUpWhenClosing(app)
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  return app
}
