/**
 * Pure: drift rules over the stream of drift records the gateway aggregates (one per kind of refusal per
 * source per second, with a count). A new kind of refusal for a subject, a new source of refusals, or a flood
 * (more than N refused events within a window) each alerts the schema owners once per episode:
 * a kind or source is new again only after being silent for the rule's `rearm.after` (never, without one);
 * a flood alerts when it starts and again only after it has subsided for `rearm.after`.
 *
 * Time is the records' own, so a batch replayed late gives the same alerts as when it was live; `now` only
 * lets a call without records (a timer) notice that a flood has subsided.
 */
import type { DriftRecord } from '../../gateway/drift.js'
import { NEVER_FIRED, stepEpisode, type Episode } from './episode.js'
import { resolveAssignee, type Owners } from './plan-actions.js'
import type { PlannedAlert } from './planned-actions.js'
import type { DriftRule } from './rules.js'

export type DriftInput = Pick<DriftRecord, 'time' | 'subject' | 'kind' | 'path' | 'source' | 'count'>

/** JSON-safe state of one drift rule, stored by the edge beside account episodes. */
export interface DriftRuleState {
  /** new-kind / new-source: key → epoch ms it was last refused. */
  seen: Record<string, number>
  /** flood: key → refusals in the window as [epoch ms, count], oldest first, and the flood's episode. */
  floods: Record<string, { recent: [number, number][]; episode: Episode }>
}

export const EMPTY_DRIFT_STATE: DriftRuleState = { seen: {}, floods: {} }

export function evaluateDriftRule(rule: DriftRule, state: DriftRuleState | undefined, records: DriftInput[], now: number, owners: Owners): { alerts: PlannedAlert[]; state: DriftRuleState } {
  const seen = { ...(state ?? EMPTY_DRIFT_STATE).seen }
  const floods = structuredClone((state ?? EMPTY_DRIFT_STATE).floods)
  const alerts: PlannedAlert[] = []
  const alert = (at: number, key: string, target: PlannedAlert['target'], why: string) => {
    const to = rule.alert.to && resolveAssignee(rule.alert.to, { csmId: null }, owners)
    alerts.push({
      type: 'alert', key: `${rule.id}/${key}/${at}`, ruleId: rule.id, ruleName: rule.name, target, severity: rule.alert.severity,
      title: rule.alert.title, why: [why], to: to?.id ?? null, toRole: to?.role ?? null, channels: rule.alert.channels, firedAt: at,
    })
  }
  const mine = records
    .filter((r) => rule.subjects === null || rule.subjects.includes(r.subject))
    .map((r) => ({ ...r, at: Date.parse(r.time) }))
    .sort((a, b) => a.at - b.at)
  const when = rule.when

  if (when.kind === 'flood') {
    for (const r of mine) {
      const key = when.per === 'source' ? `${r.subject}\u0000${r.source}` : r.subject
      const w = (floods[key] ??= { recent: [], episode: NEVER_FIRED })
      subside(w, r.at, when.over, when.withinMs, rule.rearmAfterMs)
      w.recent.push([r.at, r.count])
      const total = sum(w.recent)
      const step = stepEpisode(w.episode, { holds: total > when.over, cleared: total <= when.over }, r.at, rule.rearmAfterMs)
      w.episode = step.episode
      if (!step.fires) continue
      const from = when.per === 'source' ? ` from ${r.source}` : ''
      alert(r.at, key.replace('\u0000', '/'), { type: 'schema', subject: r.subject, ...(when.per === 'source' ? { source: r.source } : {}) },
        `${r.subject}: ${total} events refused${from} within ${durationText(when.withinMs)} (more than ${when.over})`)
    }
    for (const [key, w] of Object.entries(floods)) {
      subside(w, now, when.over, when.withinMs, rule.rearmAfterMs)
      // An empty window with an armed episode is the same as no entry: keeps the state bounded.
      if (!w.recent.length && w.episode.status === 'armed') delete floods[key]
    }
    return { alerts, state: { seen, floods } }
  }

  for (const r of mine) {
    const key = when.kind === 'new-kind' ? [r.subject, r.kind, r.path].join('\u0000') : [r.subject, r.source].join('\u0000')
    const last = seen[key]
    const isNew = last === undefined || (rule.rearmAfterMs > 0 && r.at - last >= rule.rearmAfterMs)
    seen[key] = Math.max(last ?? -Infinity, r.at)
    if (!isNew) continue
    if (when.kind === 'new-kind') {
      alert(r.at, key.replaceAll('\u0000', '/'), { type: 'schema', subject: r.subject, kind: r.kind, path: r.path, source: r.source },
        `${r.subject}: new kind of refusal, ${r.kind}${r.path ? ` at ${r.path}` : ''} (from ${r.source})`)
    } else {
      alert(r.at, key.replace('\u0000', '/'), { type: 'schema', subject: r.subject, source: r.source },
        `${r.subject}: refusals from a new source, ${r.source} (${r.kind}${r.path ? ` at ${r.path}` : ''})`)
    }
  }
  if (rule.rearmAfterMs > 0) for (const [key, at] of Object.entries(seen)) if (now - at >= rule.rearmAfterMs) delete seen[key]
  return { alerts, state: { seen, floods } }
}

/**
 * Moves a flood window to `t`: refusals older than the window leave it, and the episode sees the moment the
 * count fell to the threshold (when it really cleared, not when the next record happens to arrive).
 */
function subside(w: DriftRuleState['floods'][string], t: number, over: number, withinMs: number, rearmAfterMs: number): void {
  while (w.recent.length && w.recent[0][0] <= t - withinMs) {
    const [at] = w.recent.shift()!
    if (sum(w.recent) <= over) w.episode = stepEpisode(w.episode, { holds: false, cleared: true }, at + withinMs, rearmAfterMs).episode
  }
  if (sum(w.recent) <= over) w.episode = stepEpisode(w.episode, { holds: false, cleared: true }, t, rearmAfterMs).episode
}

const sum = (recent: [number, number][]) => recent.reduce((s, [, n]) => s + n, 0)

function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`
  return `${ms}ms`
}
