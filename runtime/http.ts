import { LogController, type FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'

/** Fastify options every Pulse HTTP server shares: the component's child logger, no per-request log lines. */
export function httpServerOptions(logger: Logger | undefined, component: string) {
  return {
    loggerInstance: logger?.child({ component }) as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
  }
}
