import crypto from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

const DAY = 86_400_000

interface DemoAccount {
  id: string
  users: number
  days: number
  features: string[]
}

// Three customers with visibly different engagement, so the scores spread across the tiers.
const ACCOUNTS: DemoAccount[] = [
  { id: 'acct_acme', users: 12, days: 22, features: ['reports.export', 'dashboards.share', 'alerts.create', 'api.keys', 'sso.configure'] },
  { id: 'acct_globex', users: 4, days: 9, features: ['reports.export', 'dashboards.share'] },
  { id: 'acct_initech', users: 1, days: 1, features: [] },
]

/** Builds the demo's events: logins and feature use spread over the last weeks. */
export function demoEvents(now = Date.now()): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = []
  for (const a of ACCOUNTS) {
    for (let d = 0; d < a.days; d++) {
      for (let u = 0; u < a.users; u++) {
        const at = now - d * DAY - (u + 1) * 60_000
        const base = { messageId: crypto.randomUUID(), accountId: a.id, userId: `${a.id}_u${u}`, timestamp: new Date(at).toISOString() }
        events.push({ ...base, event: 'user_login', properties: { method: u % 3 === 0 ? 'SSO' : 'PASSWORD' } })
        if (a.features.length) {
          const feature = a.features[(d + u) % a.features.length]
          events.push({ ...base, messageId: crypto.randomUUID(), event: 'feature_used', properties: { feature, durationMs: 1000 + u * 250 } })
        }
      }
    }
  }
  return events
}

/** Sends the demo events through the gateway, as a customer's backend would, and returns the account ids. */
export async function sendDemoEvents(gatewayUrl: string, apiKey: string | undefined): Promise<string[]> {
  if (!apiKey) throw new Error('no API key available for the demo')
  const events = demoEvents()
  let accepted = 0
  // A handful of requests in flight at once, like a real producer pool.
  for (let i = 0; i < events.length; i += 20) {
    const results = await Promise.all(events.slice(i, i + 20).map((e) => track(gatewayUrl, apiKey, e)))
    accepted += results.filter((s) => s === 202).length
  }
  console.log(`\nSent ${events.length} demo events through ${gatewayUrl}/v1/track: ${accepted} accepted.`)
  const drift = await fetch(`${gatewayUrl}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ event: 'feature_used', messageId: crypto.randomUUID(), accountId: 'acct_acme', timestamp: new Date().toISOString(), properties: { feature: 42, color: 'blue' } }),
  })
  console.log(`A drifting event is refused with ${drift.status}:`, JSON.stringify(await drift.json(), null, 2))
  return ACCOUNTS.map((a) => a.id)
}

async function track(gatewayUrl: string, apiKey: string, event: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${gatewayUrl}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(event),
  })
  await res.arrayBuffer()
  return res.status
}

/** Polls GraphQL until every account has a score that reflects all its demo events. */
export async function waitForScores(graphqlUrl: string, accounts: string[], timeoutMs = 60_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs
  let last: Record<string, unknown>[] = []
  let stableSince = 0
  while (Date.now() < deadline) {
    const rows = await Promise.all(accounts.map((id) => accountScore(graphqlUrl, id)))
    const same = JSON.stringify(rows.map((r) => [r.score, r.tier])) === JSON.stringify(last.map((r) => [r.score, r.tier]))
    last = rows
    if (rows.every((r) => r.score !== null)) {
      // Scores settle once the last debounced job ran: wait until two reads a second apart agree.
      if (same && stableSince && Date.now() - stableSince >= 1000) return rows
      if (!same || !stableSince) stableSince = Date.now()
    }
    await sleep(500)
  }
  return last
}

async function accountScore(graphqlUrl: string, id: string): Promise<Record<string, unknown>> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query($id: ID!) { account(id: $id) { id healthScore { score tier computedAt } } }', variables: { id } }),
  })
  const body = (await res.json()) as { data?: { account: { id: string; healthScore: { score: number; tier: string; computedAt: string } | null } } }
  const s = body.data?.account.healthScore
  return { account: id, score: s?.score ?? null, tier: s?.tier ?? null, computedAt: s?.computedAt ?? null }
}
