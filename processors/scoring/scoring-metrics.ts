import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The scoring workers' Prometheus metrics. `trigger` is what a pass was for: `event` (accounts with new
 * events), `sweep` (the schedule, or a new kind of event) or `rescore` (a scorecard change). With
 * `pendingAccounts`, each scrape also reads how many accounts wait to be scored (the pending set in Redis,
 * shared by every scoring process).
 */
export function createScoringMetrics(registry: Registry, pendingAccounts?: () => Promise<number>) {
  if (pendingAccounts) {
    new Gauge({
      name: 'pulse_scoring_pending_accounts',
      help: 'Accounts with stored events waiting for their score (shared by every scoring process)',
      registers: [registry],
      async collect() {
        this.set(await pendingAccounts().catch(() => Number.NaN))
      },
    })
  }
  return {
    passDuration: new Histogram({
      name: 'pulse_scoring_pass_duration_seconds',
      help: 'One scoring pass: read the measures, score, store the scores and publish the changes',
      labelNames: ['trigger'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    passPhase: new Histogram({
      name: 'pulse_scoring_pass_phase_seconds',
      help: "A scoring pass's phases: reading the measures and history (read), scoring (compute), storing the scores (insert)",
      labelNames: ['trigger', 'phase'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    afterPass: new Histogram({
      name: 'pulse_scoring_after_pass_seconds',
      help: "What runs after a pass's scores are stored and published (churn marking, playbook evaluation); the next pass waits for it",
      labelNames: ['trigger'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    factAggregates: new Counter({
      name: 'pulse_scoring_fact_aggregates_total',
      help: "Accounts' facts aggregates in event passes and sweeps: reused while they hold or known to be none (memo), or read again (read)",
      labelNames: ['source'],
      registers: [registry],
    }),
    accountsScored: new Counter({ name: 'pulse_scoring_accounts_scored_total', help: 'Scores computed and stored', labelNames: ['trigger'], registers: [registry] }),
    published: new Counter({
      name: 'pulse_scoring_changes_published_total',
      help: 'Score changes published to subscribers (healthScoreChanged)',
      labelNames: ['trigger'],
      registers: [registry],
    }),
    scoreDelay: new Histogram({
      name: 'pulse_scoring_delay_seconds',
      help: "From an account's events being stored (the account marked for scoring) to its new score stored",
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    lastSweep: new Gauge({
      name: 'pulse_scoring_last_sweep_timestamp_seconds',
      help: 'When the last pass over every account finished (alert when it falls behind the sweep cadence)',
      labelNames: ['trigger'],
      registers: [registry],
    }),
  }
}

export type ScoringMetrics = ReturnType<typeof createScoringMetrics>
