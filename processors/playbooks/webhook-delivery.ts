import type { ClickHouseClient } from '@clickhouse/client'
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq'
import crypto from 'node:crypto'
import { chTime } from '../clickhouse-time.js'
import type { PlannedAlert } from './planned-actions.js'
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js'

export const WEBHOOK_QUEUE = 'pulse-webhooks'

/**
 * Exponential backoff from 20 s over 12 attempts: 20 s, 40 s, … the last about 11 h after the one before, so
 * a receiver gets retries for about 23 h (the issue's "up to 24 h") before the delivery is dead-lettered.
 */
export const DELIVERY_RETRIES: DeliveryRetries = { attempts: 12, backoff: { type: 'exponential', delay: 20_000 } }

/** Where a webhook endpoint delivers: a URL, and for a signed (generic) webhook its secrets, newest first. */
export interface DeliveryEndpoint {
  name: string
  kind: 'webhook' | 'slack'
  url: string
  secrets: string[]
}

/**
 * The JSON a webhook receiver gets: an id to deduplicate by, a type, a time and the data. `webhook.test` is
 * what `pulse webhooks test` sends, so a receiver can be checked end to end without waiting for an alert.
 */
export type WebhookBody =
  | { id: string; type: 'alert.fired'; time: string; data: PlannedAlert }
  | { id: string; type: 'webhook.test'; time: string; data: { endpoint: string; message: string } }

export type DeliveryType = WebhookBody['type']

export interface DeliveryJob {
  endpoint: string
  /** The exact bytes to send (and sign): a retry sends what the first attempt sent. */
  body: string
  deliveryId: string
  type: DeliveryType
  /**
   * When the first attempt started (ms), once an attempt failed: BullMQ sets `processedOn` on every attempt,
   * so without this the log's first_attempt_at would move with each retry.
   */
  firstAttemptAt?: number
  /** Attempts made before the last replay (which restarts BullMQ's count), so the log counts them all. */
  attemptsBefore?: number
}

/** How a queue retries: the production schedule, or a short one in tests. */
export interface DeliveryRetries {
  attempts: number
  backoff: { type: 'exponential' | 'fixed'; delay: number }
}

/** The delivery id of an alert at an endpoint: stable, so a repeated enqueue and every retry share it. */
export function deliveryId(alertKey: string, endpoint: string): string {
  return `dlv_${crypto.createHash('sha256').update(`${alertKey}\n${endpoint}`).digest('hex').slice(0, 24)}`
}

export function webhookBody(alert: PlannedAlert, id: string): WebhookBody & { type: 'alert.fired' } {
  return { id, type: 'alert.fired', time: new Date(alert.firedAt).toISOString(), data: alert }
}

/** `retries` other than DELIVERY_RETRIES are for tests, which cannot wait a day for a dead letter. */
export function createWebhookQueue(connection: ConnectionOptions, prefix: string, retries: DeliveryRetries = DELIVERY_RETRIES): Queue<DeliveryJob> {
  return new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection, prefix, defaultJobOptions: { ...retries, removeOnComplete: 1000, removeOnFail: false } })
}

/**
 * Queues an alert for each endpoint: the job id is the delivery id, which BullMQ refuses to add twice, so an
 * alert queued again (a retried dispatch, a second worker) is delivered once. `render` gives the body per
 * endpoint kind (the signed JSON envelope for webhooks, Block Kit for Slack).
 */
export async function enqueueDeliveries(queue: Queue<DeliveryJob>, alert: PlannedAlert, endpoints: DeliveryEndpoint[], render: (endpoint: DeliveryEndpoint, id: string) => unknown): Promise<string[]> {
  const jobs = endpoints.map((endpoint) => {
    const id = deliveryId(alert.key, endpoint.name)
    const data: DeliveryJob = { endpoint: endpoint.name, body: JSON.stringify(render(endpoint, id)), deliveryId: id, type: 'alert.fired' }
    return { name: 'deliver', data, opts: { jobId: id } }
  })
  // One round trip for all of an alert's channels; addBulk keeps each job's id, so duplicates are still refused.
  await queue.addBulk(jobs)
  return jobs.map((j) => j.data.deliveryId)
}

/**
 * Delivers queued webhooks: a POST with the body as queued (signed for generic webhooks), a 2xx within
 * `timeoutMs` is delivered, anything else is retried with BullMQ's backoff, and the last failed attempt leaves
 * the job in BullMQ's failed set (the dead letter) with its log row `dead`. Each attempt is logged to
 * `webhook_deliveries`. Deliveries run `concurrency` at a time, so one slow receiver does not hold the others.
 */
export function createWebhookWorker(deps: {
  connection: ConnectionOptions
  prefix: string
  clickhouse: ClickHouseClient
  endpoints: Map<string, DeliveryEndpoint>
  timeoutMs?: number
  concurrency?: number
  now?: () => number
}): Worker<DeliveryJob> {
  const now = deps.now ?? Date.now
  const log = (job: Job<DeliveryJob>, firstAttemptAt: number, row: { status: string; http_status: number | null; last_error: string; latency_ms: number }) =>
    deps.clickhouse.insert({
      table: 'webhook_deliveries',
      format: 'JSONEachRow',
      values: [{ delivery_id: job.data.deliveryId, endpoint: job.data.endpoint, type: job.data.type, attempts: (job.data.attemptsBefore ?? 0) + job.attemptsMade + 1, first_attempt_at: chTime(new Date(firstAttemptAt)), updated_at: chTime(new Date(now())), ...row }],
    })
  return new Worker<DeliveryJob>(
    WEBHOOK_QUEUE,
    async (job) => {
      const endpoint = deps.endpoints.get(job.data.endpoint)
      const started = now()
      const firstAttemptAt = job.data.firstAttemptAt ?? job.processedOn ?? started
      // attemptsMade counts this run's attempts only: a replay (job.retry with resetAttemptsMade) starts the
      // schedule again, so a replayed delivery gets its full retries and is dead only after the last of them.
      const maxAttempts = job.opts.attempts ?? 1
      const fail = async (httpStatus: number | null, error: string) => {
        const last = job.attemptsMade + 1 >= maxAttempts
        if (!last && job.data.firstAttemptAt === undefined) await job.updateData({ ...job.data, firstAttemptAt })
        await log(job, firstAttemptAt, { status: last ? 'dead' : 'pending', http_status: httpStatus, last_error: error, latency_ms: now() - started })
        throw new Error(error)
      }
      if (!endpoint) return fail(null, `no endpoint "${job.data.endpoint}" in the rules file any more`)
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Pulse-Webhooks/1' }
      if (endpoint.kind === 'webhook') headers[SIGNATURE_HEADER] = signatureHeader(job.data.body, endpoint.secrets, Math.floor(now() / 1000))
      let res: Response
      try {
        res = await fetch(endpoint.url, { method: 'POST', headers, body: job.data.body, signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000) })
        await res.arrayBuffer().catch(() => undefined)
      } catch (err) {
        return fail(null, (err as Error).name === 'TimeoutError' ? `no answer within ${deps.timeoutMs ?? 10_000} ms` : (err as Error).message)
      }
      if (res.status < 200 || res.status >= 300) return fail(res.status, `HTTP ${res.status}`)
      await log(job, firstAttemptAt, { status: 'delivered', http_status: res.status, last_error: '', latency_ms: now() - started })
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency ?? 8 },
  )
}
