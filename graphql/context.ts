import type { ClickHouseClient } from '@clickhouse/client'
import type { ApiKey } from '../runtime/auth/index.js'
import type { TrainingRun } from '../processors/churn/index.js'
import type { LoadedScorecard } from '../processors/scoring/index.js'
import type { KpiTargets } from '../processors/kpis/index.js'
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
  /**
   * Sends test deliveries and replays through the webhook queue (the `playbooks` worker delivers them);
   * absent when this server has no queue: those mutations answer SERVICE_UNAVAILABLE. `endpoints`: the
   * configured endpoint names.
   */
  webhooks?: GraphQLWebhooks
  /** The metric sheet's targets (PULSE_KPI_TARGETS); absent: the sheet's defaults. */
  kpiTargets?: KpiTargets
  /** The onboarding milestone that counts as first value (PULSE_TTV_MILESTONE); absent: any. */
  ttvMilestone?: string
  /** The schema registry's base URL (read-only `schemas`); absent: that query answers SERVICE_UNAVAILABLE. */
  registryUrl?: string
  /** The Authorization header for the registry (the server's own key), when it needs one. */
  registryAuthorization?: string
  /** This request's batching readers (one set per request: nothing cached outlives it). */
  loaders: Loaders
}

export interface GraphQLWebhooks {
  /** Queues a webhook.test delivery to the endpoint of that name; its delivery id. */
  test(endpoint: string): Promise<string>
  /** Sends a finished delivery again; throws ReplayRefused when it is unknown or still pending. */
  replay(id: string): Promise<unknown>
  endpoints: string[]
}

/** ClickHouse DateTime64 text (UTC) as a Date. */
export function chDate(t: string | number): Date {
  return new Date(`${String(t).replace(' ', 'T')}Z`)
}
