import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import type { ApiKey } from '../../runtime/auth/index.js'
import { MAX_MESSAGE_BYTES, SEGMENT_TYPES, type SegmentType } from './message.js'

/** How a request's Segment messages are read: the endpoint's type and what the batch says for all of them. */
export interface SegmentRequest {
  impliedType?: SegmentType
  batchSentAt?: number
  batchContext?: Record<string, unknown>
  /** False when the whole request is under Segment's per-message limit, so no message needs measuring. */
  checkSize: boolean
}

export interface SegmentCallDeps {
  /** The request's key if it may send events (the write key may come in the body), or undefined after answering. */
  authenticate(authorization: string | undefined, reply: FastifyReply, writeKey?: unknown): Promise<ApiKey | undefined>
  /** Takes the messages through the gateway's one path and answers with their results. */
  acceptAndAnswer(reply: FastifyReply, log: FastifyBaseLogger, key: ApiKey, messages: unknown[], request: SegmentRequest): Promise<FastifyReply>
  routeOptions: RouteShorthandOptions
}

export type SegmentCall = (impliedType: SegmentType, body: unknown, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>

/**
 * Segment's single-call endpoints (`/v1/identify`, `/v1/group`, `/v1/page`, `/v1/screen`, `/v1/alias`); returns the
 * handler `/v1/track` uses for a Segment-shaped body. As Segment's API does: 200 with the outcome in the body
 * whatever happened to the message (its libraries read no bodies, and retrying a refusal could never succeed),
 * 400 only for a body that is no message or is over 32 KB.
 */
export function segmentCalls(app: FastifyInstance, deps: SegmentCallDeps): SegmentCall {
  const call: SegmentCall = async (impliedType, body, req, reply) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reply.code(400).send({ error: 'invalid_envelope', message: `the body must be a JSON object: one ${impliedType} call` })
    }
    const key = await deps.authenticate(req.headers.authorization, reply, (body as { writeKey?: unknown }).writeKey)
    if (!key) return reply
    if (!(Number(req.headers['content-length']) <= MAX_MESSAGE_BYTES)) {
      const bytes = Buffer.byteLength(JSON.stringify(body))
      if (bytes > MAX_MESSAGE_BYTES) return reply.code(400).send({ error: 'message_too_large', message: `the message is ${bytes} bytes of JSON; Segment's limit, which Pulse keeps, is 32 KB per message` })
    }
    return deps.acceptAndAnswer(reply, req.log, key, [body], { impliedType, checkSize: false })
  }
  for (const type of SEGMENT_TYPES) {
    if (type !== 'track') app.post(`/v1/${type}`, deps.routeOptions, async (req, reply) => call(type, req.body, req, reply))
  }
  return call
}
