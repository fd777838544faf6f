import type { ClickHouseClient } from '@clickhouse/client'
import type { ApiKey } from '../runtime/auth/index.js'
import type { TrainingRun } from '../processors/churn/index.js'
import type { LoadedScorecard } from '../processors/scoring/index.js'
import type { Loaders } from './loaders.js'

export interface GraphQLContext {
  /** The key the request came with (it may read; see access.ts). */
  apiKey: ApiKey
  clickhouse: ClickHouseClient
  /** The pub/sub topics changes are published on: scores, churn risks, drift. */
  topics: { score: string; churnRisk: string; drift: string; alert: string; task: string }
  /** The scorecard this installation scores with; older versions are read from ClickHouse. */
  scorecard: LoadedScorecard
  /** Trains the churn model on the churn worker and waits for it; absent when this server has no queue. */
  trainChurn?: (horizonDays?: number) => Promise<TrainingRun>
  /** The onboarding milestone that counts as first value (PULSE_TTV_MILESTONE); absent: any. */
  ttvMilestone?: string
  /** The schema registry's base URL (read-only `schemas`); absent: that query answers SERVICE_UNAVAILABLE. */
  registryUrl?: string
  /** The Authorization header for the registry (the server's own key), when it needs one. */
  registryAuthorization?: string
  /** This request's batching readers (one set per request: nothing cached outlives it). */
  loaders: Loaders
}

/** ClickHouse DateTime64 text (UTC) as a Date. */
export function chDate(t: string | number): Date {
  return new Date(`${String(t).replace(' ', 'T')}Z`)
}
