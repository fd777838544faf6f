import type { EventResult } from '../index.js'
import type { GatewayMetrics } from '../metrics.js'
import { SEGMENT_TYPES, type Translation } from './message.js'

/**
 * Every Segment message by API key (its source), call type and outcome: what its libraries never show their
 * producers. Counted per batch, one increment per distinct label set (labels cost more than the count).
 */
export function countSegment(metrics: GatewayMetrics, results: EventResult[], translations: (Translation | undefined)[], source: string): void {
  const counts = new Map<string, { type: string; outcome: string; reason: string; n: number }>()
  results.forEach((r, i) => {
    const t = translations[i]
    if (!t) return
    const type = (SEGMENT_TYPES as readonly string[]).includes(t.type) ? t.type : '(unknown)'
    const outcome = r.status === 'accepted' && r.duplicate ? 'duplicate' : r.status
    const reason = r.status === 'rejected' ? (r.error === 'schema_violation' ? (r.violations[0]?.kind ?? r.error) : r.error) : r.status === 'failed' ? r.error : ''
    const id = `${type}\n${outcome}\n${reason}`
    const c = counts.get(id)
    if (c) c.n++
    else counts.set(id, { type, outcome, reason, n: 1 })
  })
  for (const c of counts.values()) metrics.segmentMessages.inc({ source, type: c.type, outcome: c.outcome, reason: c.reason }, c.n)
}
