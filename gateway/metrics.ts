import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Per partition: the log end offset and the consumer group's committed offset. */
export type LagSource = () => Promise<{ topic: string; partition: number; end: bigint; committed: bigint }[]>

/**
 * The gateway's Prometheus metrics, on the process's registry (never prom-client's global one: tests run
 * several platforms in one process). With `lag`, the scrape also reports how far the event processor's
 * consumer group is behind, per partition. `/metrics` serves the whole registry.
 */
export function createGatewayMetrics(lag?: LagSource, registry = new Registry()) {
  const accepted = new Counter({ name: 'pulse_events_accepted_total', help: 'Events acknowledged by Kafka', labelNames: ['subject'], registers: [registry] })
  const rejected = new Counter({
    name: 'pulse_events_rejected_total',
    help: 'Events refused, by subject and reason (violation kind or envelope error)',
    labelNames: ['subject', 'kind'],
    registers: [registry],
  })
  const duplicates = new Counter({ name: 'pulse_events_duplicate_total', help: 'Events acknowledged again for a messageId already accepted, not re-sent', labelNames: ['subject'], registers: [registry] })
  const segmentMessages = new Counter({
    name: 'pulse_segment_messages_total',
    help: "Messages in Segment's shape, by API key (source), call type, outcome (accepted, duplicate, rejected, failed) and the refusal's reason",
    labelNames: ['source', 'type', 'outcome', 'reason'],
    registers: [registry],
  })
  const produceErrors = new Counter({ name: 'pulse_produce_errors_total', help: 'Events Kafka did not acknowledge (answered 503)', registers: [registry] })
  const requestDuration = new Histogram({
    name: 'pulse_http_request_duration_seconds',
    help: 'Gateway request latency',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  if (lag) {
    new Gauge({
      name: 'pulse_consumer_lag',
      help: 'Events written to Kafka and not yet committed by the event processor',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      async collect() {
        this.reset()
        for (const p of await lag().catch(() => [])) {
          this.set({ topic: p.topic, partition: String(p.partition) }, Number(p.end > p.committed ? p.end - p.committed : 0n))
        }
      },
    })
  }
  return { registry, accepted, duplicates, rejected, produceErrors, requestDuration, segmentMessages }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>
