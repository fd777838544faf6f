/**
 * Pure: the once-per-episode state machine every rule (account or drift) shares. A rule is armed until its
 * condition holds; then it fires once and its episode is active until the condition has been cleared (false
 * past its margin) for `rearmAfterMs`, when it is armed again. A value flapping around a threshold stays
 * inside the margin, and an event repeating within the quiet time keeps the episode open: neither re-fires.
 *
 * Re-arming is observed, not inferred: some evaluation must see the condition cleared once the quiet time
 * is over (the sweep guarantees one per period). Erring this way can delay a re-fire by a sweep period;
 * the other way could fire twice for one episode.
 */

/** JSON-safe: stored per (rule, account) by the edges, compared-and-set so two workers never both fire. */
export type Episode =
  | {
      status: 'armed'
      /** When it last re-armed; null when it never fired. */
      since: number | null
    }
  | {
      status: 'active'
      /** When it fired: names the episode (alert and task keys include it). */
      since: number
      /** First evaluation of the current run of cleared ones; null while not cleared. */
      clearedSince: number | null
      /** Task id → occurrences already opened in this episode, so each opens once. */
      opened: Record<string, number>
    }

export const NEVER_FIRED: Episode = { status: 'armed', since: null }

export function stepEpisode(episode: Episode | undefined, verdict: { holds: boolean; cleared: boolean }, now: number, rearmAfterMs: number): { fires: boolean; episode: Episode } {
  const e = episode ?? NEVER_FIRED
  if (e.status === 'armed') {
    return verdict.holds ? { fires: true, episode: { status: 'active', since: now, clearedSince: null, opened: {} } } : { fires: false, episode: e }
  }
  if (!verdict.cleared) return { fires: false, episode: e.clearedSince === null ? e : { ...e, clearedSince: null } }
  const clearedSince = e.clearedSince ?? now
  if (now - clearedSince >= rearmAfterMs) return { fires: false, episode: { status: 'armed', since: now } }
  return { fires: false, episode: clearedSince === e.clearedSince ? e : { ...e, clearedSince } }
}

/** Whether the episode's steps still open: it fired and its condition has not cleared (recovered). */
export function episodeOngoing(e: Episode): e is Extract<Episode, { status: 'active' }> {
  return e.status === 'active' && e.clearedSince === null
}
