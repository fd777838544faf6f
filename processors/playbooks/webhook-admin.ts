import type { ClickHouseClient } from '@clickhouse/client'
import type { Queue } from 'bullmq'
import crypto from 'node:crypto'
import { queryRows } from '../clickhouse-rows.js'
import { fromChTime } from '../clickhouse-time.js'
import type { DeliveryEndpoint, DeliveryJob, DeliveryType, WebhookBody } from './webhook-delivery.js'

/**
 * Operating the webhook deliveries: the delivery log (`webhook_deliveries`, one row per delivery, the latest
 * attempt winning), a test delivery to check a receiver end to end, and the replay of a dead (or delivered)
 * delivery. Tests and replays go through the same queue and worker as alerts, so they are signed, retried and
 * logged exactly like them.
 */

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** A delivery as the log last saw it. */
export interface DeliveryRecord {
  id: string
  endpoint: string
  type: string
  status: DeliveryStatus
  /** Every attempt so far, replays included. */
  attempts: number
  httpStatus: number | null
  /** The last failed attempt's error; empty once delivered. */
  lastError: string
  /** How long the last attempt took (ms). */
  latencyMs: number
  firstAttemptAt: Date
  updatedAt: Date
}

export interface DeliveryFilter {
  endpoint?: string
  status?: DeliveryStatus
  type?: string
  /** Only deliveries with an attempt at or after this time (ms since the epoch). */
  since?: number
  limit: number
}

// FINAL: a delivery has a row per attempt until a merge; FINAL reads the latest. The filters on status and
// type apply after FINAL (they are not in the sorting key), so a delivery is never matched by a superseded row.
const LIST_SQL = `
SELECT delivery_id, endpoint, type, status, attempts, http_status, last_error, latency_ms, first_attempt_at, updated_at
FROM webhook_deliveries FINAL
WHERE ({endpoint:String} = '' OR endpoint = {endpoint:String})
  AND ({status:String} = '' OR status = {status:String})
  AND ({type:String} = '' OR type = {type:String})
  AND ({id:String} = '' OR delivery_id = {id:String})
  AND updated_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
ORDER BY updated_at DESC, delivery_id
LIMIT {limit:UInt32}`

interface LogRow {
  delivery_id: string
  endpoint: string
  type: string
  status: string
  attempts: number
  http_status: number | null
  last_error: string
  latency_ms: number
  first_attempt_at: string
  updated_at: string
}

function toRecord(r: LogRow): DeliveryRecord {
  return {
    id: r.delivery_id,
    endpoint: r.endpoint,
    type: r.type,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    httpStatus: r.http_status === null ? null : Number(r.http_status),
    lastError: r.last_error,
    latencyMs: Number(r.latency_ms),
    firstAttemptAt: new Date(fromChTime(r.first_attempt_at)),
    updatedAt: new Date(fromChTime(r.updated_at)),
  }
}

/** The delivery log, most recently attempted first. A delivery not attempted yet has no row. */
export async function listDeliveries(clickhouse: ClickHouseClient, filter: DeliveryFilter): Promise<DeliveryRecord[]> {
  if (!Number.isInteger(filter.limit) || filter.limit < 1) throw new Error(`listDeliveries: limit must be a positive integer, got ${filter.limit}`)
  if (filter.status !== undefined && !DELIVERY_STATUSES.includes(filter.status)) throw new Error(`listDeliveries: status must be one of ${DELIVERY_STATUSES.join(', ')}, got "${filter.status}"`)
  const rows = await queryRows<LogRow>(clickhouse, LIST_SQL, {
    endpoint: filter.endpoint ?? '',
    status: filter.status ?? '',
    type: filter.type ?? '',
    id: '',
    since: Math.max(0, Math.floor(filter.since ?? 0)),
    limit: filter.limit,
  })
  return rows.map(toRecord)
}

/** One delivery's latest log row; undefined before its first attempt (or for an unknown id). */
export async function getDelivery(clickhouse: ClickHouseClient, id: string): Promise<DeliveryRecord | undefined> {
  const [row] = await queryRows<LogRow>(clickhouse, LIST_SQL, { endpoint: '', status: '', type: '', id, since: 0, limit: 1 })
  return row ? toRecord(row) : undefined
}

const TEST_MESSAGE = 'A test delivery from Pulse: if you can read this, the endpoint works.'

/** Pure: what a test delivery sends — the signed JSON envelope to a webhook, a plain message to Slack. */
export function testDeliveryBody(endpoint: DeliveryEndpoint, id: string, now: number): WebhookBody | { text: string; blocks: unknown[] } {
  if (endpoint.kind === 'webhook') return { id, type: 'webhook.test', time: new Date(now).toISOString(), data: { endpoint: endpoint.name, message: TEST_MESSAGE } }
  const text = `:white_check_mark: Pulse test message for endpoint "${endpoint.name}"`
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}\n${TEST_MESSAGE}` } }, { type: 'context', elements: [{ type: 'mrkdwn', text: `${id} · ${new Date(now).toISOString()}` }] }] }
}

/** Queues a `webhook.test` delivery to `endpoint` (same worker, signature, retries and log as alerts); its id. */
export async function sendTestDelivery(queue: Queue<DeliveryJob>, endpoint: DeliveryEndpoint, now: number): Promise<string> {
  // Random, not derived like an alert's: each test is a delivery of its own.
  const id = `dlv_test_${crypto.randomBytes(12).toString('hex')}`
  const type: DeliveryType = 'webhook.test'
  await queue.add('deliver', { endpoint: endpoint.name, body: JSON.stringify(testDeliveryBody(endpoint, id, now)), deliveryId: id, type }, { jobId: id })
  return id
}

/** Why a delivery cannot be replayed: no such job, or it is still being attempted. */
export class ReplayRefused extends Error {
  constructor(
    readonly reason: 'not_found' | 'pending',
    message: string,
  ) {
    super(message)
    this.name = 'ReplayRefused'
  }
}

export interface Replayed {
  id: string
  /** What it was before the replay. */
  was: 'dead' | 'delivered'
  /** Attempts made before this replay. */
  attempts: number
}

/**
 * Sends a finished delivery again: the same id and the same bytes (freshly signed), through BullMQ's own
 * `job.retry`. A dead one is what replay is for (the receiver is fixed); a delivered one is re-sent too, and
 * the receiver, which dedupes by id, decides what a second copy means. The retry schedule starts over (BullMQ
 * keeps attemptsMade unless told to reset it, and then a failed replay would be dead at once), while the log
 * keeps counting every attempt and the first attempt's time. A delivery still waiting for an attempt is
 * refused: it will be attempted anyway.
 */
export async function replayDelivery(queue: Queue<DeliveryJob>, id: string): Promise<Replayed> {
  const job = await queue.getJob(id)
  if (!job) {
    throw new ReplayRefused('not_found', `no delivery "${id}" in the webhook queue: the id is unknown, or it was delivered so long ago that the queue no longer keeps it (it keeps the last 1,000 delivered; dead ones are kept)`)
  }
  const state = await job.getState()
  if (state !== 'failed' && state !== 'completed') {
    throw new ReplayRefused('pending', `delivery "${id}" is still pending (${state}, ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'} so far): it will be attempted again on its own; replay is for dead or delivered ones`)
  }
  const attempts = (job.data.attemptsBefore ?? 0) + job.attemptsMade
  // Written before the retry, so the replay's first attempt already sees it. Two replays racing both compute
  // these values from the same finished job, so the second write changes nothing, and only one retry succeeds.
  await job.updateData({ ...job.data, attemptsBefore: attempts, firstAttemptAt: job.data.firstAttemptAt ?? job.processedOn })
  try {
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true })
  } catch (err) {
    // Another replay (or a worker) moved it between getState and retry.
    throw new ReplayRefused('pending', `delivery "${id}" changed state while being replayed (${(err as Error).message}); look at it again before replaying`)
  }
  return { id, was: state === 'failed' ? 'dead' : 'delivered', attempts }
}
