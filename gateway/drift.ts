import type { Producer } from 'kafkajs'
import type { Logger } from 'pino'

/** One kind of refusal from one source, standing for `count` events. */
export interface DriftRecord {
  time: string
  subject: string
  version: number
  kind: string
  path: string
  expected: string
  actual: string
  source: string
  /** The refused payload with every value replaced by its type, so no customer data is kept. */
  sample: string
  count: number
}

/** Pure: a payload with each value replaced by its JSON type; keys and shape stay. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '…'
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.slice(0, 3).map((v) => redact(v, depth + 1))
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, redact(v, depth + 1)]))
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/**
 * Collects refusals and writes them to the drift topic once per `intervalMs`, one record per distinct
 * (subject, version, kind, path, expected, actual kind, source) with its count: a producer sending a
 * million bad events a minute costs a few Kafka records, not a million.
 */
export class DriftCollector {
  private pending = new Map<string, DriftRecord>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly intervalMs = 1000,
    private readonly logger?: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs)
    this.timer.unref()
  }

  add(r: Omit<DriftRecord, 'count' | 'time'>): void {
    // Values make unbounded keys; their kind ("integer 42" → "integer") does not.
    const actual = r.actual.split(' ')[0]
    const key = JSON.stringify([r.subject, r.version, r.kind, r.path, r.expected, actual, r.source])
    const existing = this.pending.get(key)
    if (existing) existing.count++
    else this.pending.set(key, { ...r, actual, time: new Date().toISOString(), count: 1 })
  }

  async flush(): Promise<void> {
    if (!this.pending.size) return
    const records = [...this.pending.values()]
    this.pending = new Map()
    try {
      await this.producer.send({ topic: this.topic, messages: records.map((r) => ({ key: r.subject, value: JSON.stringify(r) })) })
    } catch (err) {
      // Drift is diagnostics, not data: losing a second of it while Kafka is down is acceptable.
      this.logger?.warn({ err, records: records.length }, 'could not write drift records')
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
