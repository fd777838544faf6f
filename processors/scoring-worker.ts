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
  count() AS events,
  uniqExactIf(user_id, user_id IS NOT NULL) AS activeUsers,
  uniqExact(toDate(timestamp)) AS activeDays,
  uniqExactIf(JSONExtractString(properties, 'feature'), event = 'feature_used') AS distinctFeatures
FROM events FINAL
WHERE account_id = {accountId:String} AND timestamp >= {since:DateTime64(3, 'UTC')}`

const LATEST_SQL = `
SELECT argMax(score, computed_at) AS score, argMax(tier, computed_at) AS tier
FROM health_scores WHERE account_id = {accountId:String}
HAVING count() > 0`

/** Scores one account from ClickHouse, stores the score, and publishes it when score or tier changed. */
export async function scoreAccount(
  deps: Pick<ScoringWorkerDeps, 'clickhouse' | 'publish'>,
  accountId: string,
  now = new Date(),
): Promise<HealthScoreChanged> {
  const since = new Date(now.getTime() - 30 * 86_400_000)
  const [activityRows, previousRows] = await Promise.all([
    query<Record<keyof AccountActivity, string | number>>(deps.clickhouse, ACTIVITY_SQL, { accountId, since: chTime(since) }),
    query<{ score: number; tier: HealthTier }>(deps.clickhouse, LATEST_SQL, { accountId }),
  ])
  const a = activityRows[0]
  const activity: AccountActivity = {
    events: Number(a.events),
    activeUsers: Number(a.activeUsers),
    activeDays: Number(a.activeDays),
    distinctFeatures: Number(a.distinctFeatures),
  }
  const { score, tier } = computeHealthScore(activity)
  const computedAt = now.toISOString()
  await deps.clickhouse.insert({
    table: 'health_scores',
    format: 'JSONEachRow',
    values: [{
      account_id: accountId,
      score,
      tier,
      computed_at: chTime(now),
      events_30d: activity.events,
      active_users_30d: activity.activeUsers,
      active_days_30d: activity.activeDays,
    }],
  })
  const change = { accountId, score, tier, computedAt }
  const previous = previousRows[0]
  if (!previous || Number(previous.score) !== score || previous.tier !== tier) deps.publish(change)
  return change
}

export function startScoringWorker(deps: ScoringWorkerDeps): Worker<ScoringJob> {
  const worker = new Worker<ScoringJob>(
    SCORING_QUEUE,
    async (job: Job<ScoringJob>) => scoreAccount(deps, job.data.accountId),
    { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency ?? 4 },
  )
  worker.on('failed', (job, err) => deps.logger?.warn({ err, accountId: job?.data.accountId }, 'scoring job failed'))
  worker.on('error', (err) => deps.logger?.error({ err }, 'scoring worker error'))
  return worker
}

async function query<T>(client: ClickHouseClient, sql: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}
