/** The latest alert a rule fired, as it fires (alertFired), until dismissed: what the team should look at now. */
import { useState } from 'preact/hooks'
import { day } from '../format.js'
import { useSubscription } from '../live.js'
import { href } from '../route.js'

interface Fired {
  id: string
  title: string
  severity: 'INFO' | 'WARNING' | 'CRITICAL'
  accountId: string | null
  subject: string | null
  why: string[]
  firedAt: string
}

export function AlertBanner({ apiKey }: { apiKey: string }) {
  const [alert, setAlert] = useState<Fired | null>(null)
  useSubscription<{ alertFired: Fired }>(apiKey, 'subscription { alertFired { id title severity accountId subject why firedAt } }', {}, (d) => setAlert(d.alertFired))
  if (!alert) return null
  return (
    <div class={`alert-banner severity-${alert.severity.toLowerCase()}`} role="status" aria-live="polite" data-alert={alert.id}>
      <strong>{alert.title}</strong> {alert.accountId ? <a href={href('account', { id: alert.accountId })}>{alert.accountId}</a> : <a href={href('drift')}>{alert.subject}</a>} — {alert.why.join('; ')}{' '}
      <span class="muted small">{day(alert.firedAt)}</span>
      <button type="button" class="link" onClick={() => setAlert(null)} aria-label="Dismiss the alert">
        Dismiss
      </button>
    </div>
  )
}
