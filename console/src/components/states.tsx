/** The states every view shares: loading, an error said plainly, nothing to show. */
import type { ComponentChildren } from 'preact'
import { KeyRefusedError, MissingKeyError } from '../api.js'

export function Loading({ what }: { what: string }) {
  return (
    <p class="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  )
}

export function Failure({ error, retry, onKeyProblem }: { error: Error; retry?: () => void; onKeyProblem: () => void }) {
  const keyProblem = error instanceof KeyRefusedError || error instanceof MissingKeyError
  return (
    <div class="state state-error" role="alert">
      <p>{keyProblem ? `The API key was refused: ${error.message}` : error.message}</p>
      {keyProblem ? (
        <button type="button" onClick={onKeyProblem}>
          Use another key
        </button>
      ) : (
        retry && (
          <button type="button" onClick={retry}>
            Try again
          </button>
        )
      )}
    </div>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>
}

const TIER_CLASSES: Record<string, string> = { Healthy: 'tier-healthy', Stable: 'tier-stable', 'At-risk': 'tier-at-risk', Critical: 'tier-critical' }

export function TierBadge({ tier }: { tier: string | null }) {
  if (!tier) return <span class="tier tier-none">no score</span>
  return <span class={`tier ${TIER_CLASSES[tier] ?? 'tier-other'}`}>{tier}</span>
}
