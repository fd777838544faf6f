import type { PlannedAlert } from './planned-actions.js'

/** What an account alert shows beside the alert itself: the score's move and what pulls it down. */
export interface AlertContext {
  score: number | null
  previousScore: number | null
  tier: string | null
  previousTier: string | null
  /** The top drivers, in words ("usage.adoption: 6 of 20 seats active (30 %) — 4.1 of 14.3 points"). */
  drivers: string[]
  /** A link to the account (the console), if one is configured. */
  accountUrl: string | null
}

const SEVERITY_ICON = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const

/** Slack's mrkdwn treats &, < and > as markup: escaped, as Slack documents. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * An incoming-webhook message with Block Kit blocks: what happened and to which account, why (the facts that
 * fired it), the score and tier change, the top drivers, a link. `text` is the notification and screen-reader
 * fallback Slack asks for beside blocks.
 */
export function slackMessage(alert: PlannedAlert, context: AlertContext | null): { text: string; blocks: unknown[] } {
  const subject = alert.target.type === 'account' ? `account ${alert.target.accountId}` : `events ${alert.target.subject}`
  const headline = `${SEVERITY_ICON[alert.severity]} ${alert.title} — ${subject}`
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${alert.title}`.slice(0, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: `${SEVERITY_ICON[alert.severity]} *${escape(alert.ruleName)}* on *${escape(subject)}*${alert.why.length ? `\n${alert.why.map((w) => `• ${escape(w)}`).join('\n')}` : ''}` } },
  ]
  if (context) {
    const fields: { type: 'mrkdwn'; text: string }[] = []
    if (context.score !== null) fields.push({ type: 'mrkdwn', text: `*Score*\n${context.previousScore === null ? '' : `${context.previousScore} → `}${context.score}` })
    if (context.tier !== null) fields.push({ type: 'mrkdwn', text: `*Tier*\n${context.previousTier === null || context.previousTier === context.tier ? escape(context.tier) : `${escape(context.previousTier)} → ${escape(context.tier)}`}` })
    if (fields.length) blocks.push({ type: 'section', fields })
    if (context.drivers.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*What pulls it down*\n${context.drivers.slice(0, 3).map((d) => `• ${escape(d)}`).join('\n')}` } })
    if (context.accountUrl) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the account' }, url: context.accountUrl }] })
  }
  const owner = alert.to ? `For ${escape(alert.to)}${alert.toRole ? ` (${escape(alert.toRole)})` : ''} · ` : ''
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${owner}fired ${new Date(alert.firedAt).toISOString()} · ${escape(alert.key)}` }] })
  return { text: headline, blocks }
}
