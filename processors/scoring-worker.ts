import type { ClickHouseClient } from '@clickhouse/client'
import { Worker, type ConnectionOptions, type Job } from 'bullmq'
import type { Logger } from 'pino'
import { computeHealthScore, type AccountActivity, type HealthTier } from './health-score.js'
import { SCORING_QUEUE, type ScoringJob } from './scoring-queue.js'
import type { HealthScoreChanged } from './score-events.js'
import { chTime } from './clickhouse-time.js'

export interface ScoringWorkerDeps {
  connection: ConnectionOptions
  prefix: string
  clickhouse: ClickHouseClient
  publish: (change: HealthScoreChanged) => void
  logger?: Logger
  concurrency?: number
}

const ACTIVITY_SQL = `
SELECT
  account_id AS accountId,
  count() AS events,
  uniqExactIf(user_id, user_id IS NOT NULL) AS activeUsers,
  uniqExact(toDate(timestamp)) AS activeDays,
  uniqExactIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS distinctFeatures
FROM events FINAL
WHERE account_id IN {accountIds:Array(String)} AND timestamp >= {since:DateTime64(3, 'UTC')}
GROUP BY account_id`

const LATEST_SQL = `
SELECT account_id AS accountId, argMax(score, computed_at) AS score, argMax(tier, computed_at) AS tier
FROM health_scores WHERE account_id IN {accountIds:Array(String)}
GROUP BY account_id`

/**
 * Scores accounts from ClickHouse in one pass — one aggregate query, one insert — stores the scores, and
 * publishes each one whose score or tier changed.
 */
export async function scoreAccounts(
  deps: Pick<ScoringWorkerDeps, 'clickhouse' | 'publish'>,
  accountIds: string[],
  now = new Date(),
): Promise<HealthScoreChanged[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000)
  const [activityRows, previousRows] = await Promise.all([
    query<{ accountId: string } & Record<keyof AccountActivity, string | number>>(deps.clickhouse, ACTIVITY_SQL, { accountIds, since: chTime(since) }),
    query<{ accountId: string; score: number; tier: HealthTier }>(deps.clickhouse, LATEST_SQL, { accountIds }),
  ])
  const activityOf = new Map(activityRows.map((a) => [a.accountId, a]))
  const previousOf = new Map(previousRows.map((p) => [p.accountId, p]))
  const computedAt = now.toISOString()
  const rows = []
  const changes: HealthScoreChanged[] = []
  for (const accountId of accountIds) {
    const a = activityOf.get(accountId)
    // No event in 30 days: the account is still scored (and scores 0).
    const activity: AccountActivity = {
      events: Number(a?.events ?? 0),
      activeUsers: Number(a?.activeUsers ?? 0),
      activeDays: Number(a?.activeDays ?? 0),
      distinctFeatures: Number(a?.distinctFeatures ?? 0),
    }
    const { score, tier } = computeHealthScore(activity)
    rows.push({
      account_id: accountId,
      score,
      tier,
      computed_at: chTime(now),
      events_30d: activity.events,
      active_users_30d: activity.activeUsers,
      active_days_30d: activity.activeDays,
    })
    const previous = previousOf.get(accountId)
    const change = { accountId, score, tier, computedAt }
    changes.push(change)
    if (!previous || Number(previous.score) !== score || previous.tier !== tier) deps.publish(change)
  }
  if (rows.length) await deps.clickhouse.insert({ table: 'health_scores', format: 'JSONEachRow', values: rows })
  return changes
}

/** Scores one account; see scoreAccounts. */
export async function scoreAccount(deps: Pick<ScoringWorkerDeps, 'clickhouse' | 'publish'>, accountId: string, now = new Date()): Promise<HealthScoreChanged> {
  return (await scoreAccounts(deps, [accountId], now))[0]
}

/**
 * The worker keeps one BullMQ job per account (deduplication, retries and persistence per account stay
 * BullMQ's), but runs many jobs at once and scores the accounts of the jobs active together in one pass,
 * so a burst touching hundreds of accounts costs a few queries instead of hundreds. (Open-source BullMQ
 * has no batch processing, so the coalescing is ours.)
 */
export function startScoringWorker(deps: ScoringWorkerDeps): Worker<ScoringJob> {
  const score = coalesce((ids: string[]) => scoreAccounts(deps, ids), { maxBatch: 500, lingerMs: 20 })
  const worker = new Worker<ScoringJob>(SCORING_QUEUE, async (job: Job<ScoringJob>) => score(job.data.accountId), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 500,
  })
  worker.on('failed', (job, err) => deps.logger?.warn({ err, accountId: job?.data.accountId }, 'scoring job failed'))
  worker.on('error', (err) => deps.logger?.error({ err }, 'scoring worker error'))
  return worker
}

/** Calls for single keys, served `lingerMs` later by one call for all keys asked in the meantime. */
export function coalesce<R>(run: (keys: string[]) => Promise<R[]>, opts: { maxBatch: number; lingerMs: number }): (key: string) => Promise<R> {
  let pending: { key: string; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    const batch = pending
    pending = []
    const keys = [...new Set(batch.map((b) => b.key))]
    run(keys).then(
      (results) => {
        const byKey = new Map(keys.map((k, i) => [k, results[i]]))
        for (const b of batch) b.resolve(byKey.get(b.key)!)
      },
      (err) => batch.forEach((b) => b.reject(err)),
    )
  }
  return (key) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ key, resolve, reject })
      if (pending.length >= opts.maxBatch) flush()
      else timer ??= setTimeout(flush, opts.lingerMs)
    })
}

async function query<T>(client: ClickHouseClient, sql: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}
