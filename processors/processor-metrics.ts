import { Counter, Histogram, type Registry } from 'prom-client'

/** Seconds: from a few milliseconds (a batch's insert) to minutes (a backlog). */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300]

/**
 * The event processor's Prometheus metrics, labelled by topic (the events topic, or the verify topic where
 * events the gateway marked are checked against the store): how long an event took from the gateway to its
 * stored row, what each batch cost, and what could not be stored.
 */
export function createProcessorMetrics(registry: Registry) {
  return {
    stored: new Counter({ name: 'pulse_processor_events_stored_total', help: 'Events stored in ClickHouse', labelNames: ['topic'], registers: [registry] }),
    deadLettered: new Counter({ name: 'pulse_processor_dead_letters_total', help: 'Records sent to the dead-letter topic (unreadable, or refused by ClickHouse)', labelNames: ['topic'], registers: [registry] }),
    batchFailures: new Counter({
      name: 'pulse_processor_batch_failures_total',
      help: 'Batches that failed because a dependency was away; their partition paused and retried',
      labelNames: ['topic'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'pulse_processor_batch_duration_seconds',
      help: 'Time to decode one fetched batch, store it and queue its accounts for scoring',
      labelNames: ['topic'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    storeDelay: new Histogram({
      name: 'pulse_processor_store_delay_seconds',
      help: "From the gateway producing an event (its Kafka record's timestamp) to its row stored in ClickHouse and its account queued for scoring",
      labelNames: ['topic'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  }
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>
