import { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'

/** Fastify options every Pulse HTTP server shares: the component's child logger, no per-request log lines. */
export function httpServerOptions(logger: Logger | undefined, component: string) {
  return {
    loggerInstance: logger?.child({ component }) as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
  }
}

/**
 * Graceful close under keep-alive traffic: Node closes only the connections idle at the moment the server
 * closes, and a busy keep-alive connection would then linger for Fastify's 72 s keepAliveTimeout. Once
 * closing, every response asks the client to hang up, so in-flight requests finish and their sockets go.
 */
export function hangUpWhenClosing(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })
}
