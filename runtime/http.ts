import crypto from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'

export const REQUEST_ID_HEADER = 'x-request-id'
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * A request's id: the caller's `X-Request-Id` when it is a sane token (so a trace spans the caller's logs
 * and ours), otherwise a fresh UUID. Fastify's own `requestIdHeader` would take any header value as is.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER]
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : crypto.randomUUID()
}

/**
 * Fastify options every Pulse HTTP server shares: the component's child logger, request ids on every log
 * line a request causes (`reqId`), and instead of Fastify's two lines per request one line when it ends
 * (see logRequests).
 */
export function httpServerOptions(logger: Logger | undefined, component: string) {
  return {
    loggerInstance: logger?.child({ component }) as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false as const,
    genReqId: requestId,
  }
}

/** Probes and scrapes arrive every few seconds; their lines would drown the requests that matter. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

/** Echoes the request id in `X-Request-Id` and logs one JSON line per finished request (probes at debug). */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id)
  })
  app.addHook('onResponse', async (req, reply) => {
    const fields = { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }
    if (reply.statusCode >= 500) req.log.error(fields, 'request failed')
    else if (QUIET_ROUTES.has(req.routeOptions.url ?? '')) req.log.debug(fields, 'request completed')
    else req.log.info(fields, 'request completed')
  })
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

/**
 * Answers a request no route takes, before its body is read (so a body-carrying method gets this answer, not a
 * parsing error): 405 with an `Allow` header when its path is served with other methods, as RFC 9110 says,
 * else 404. `answer` sends the server's own error body. Call before registering routes: it collects them.
 */
export function answerUnrouted(app: FastifyInstance, answer: (reply: FastifyReply, status: 404 | 405, message: string) => FastifyReply): void {
  const methodsByPath = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>()
    for (const m of [route.method].flat()) methods.add(m)
    methodsByPath.set(route.url, methods)
  })
  const unrouted = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = req.url.split('?')[0]
    const methods = methodsByPath.get(path)
    if (!methods) return answer(reply, 404, `no route ${req.method} ${path}`)
    const allow = [...methods].sort().join(', ')
    return answer(reply.header('allow', allow), 405, `${path} does not take ${req.method}; it takes ${allow}`)
  }
  app.addHook('onRequest', async (req, reply) => {
    if (req.is404) return unrouted(req, reply)
  })
  app.setNotFoundHandler(unrouted)
}
