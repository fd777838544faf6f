import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { parseDuration } from '../runtime/duration.js'
import { graphqlEndpoint, type GraphQLEndpoint } from './credentials.js'
import { graphqlRequest } from './graphql-request.js'

export const WEBHOOKS_USAGE = `usage: pulse webhooks list [--endpoint NAME] [--status pending|delivered|dead] [--type TYPE] [--since 24h]
                          [--limit 50] [--json] [--graphql URL] [--key KEY]
       pulse webhooks test ENDPOINT [--wait 30s] [--graphql URL] [--key KEY]
       pulse webhooks replay DELIVERY_ID [--wait 30s] [--graphql URL] [--key KEY]

  list     the delivery log of alert webhooks and Slack messages, most recently attempted first: status,
           attempts, the receiver's HTTP status, the last error and how long the last attempt took
  test     sends a webhook.test delivery to an endpoint of the rules file, signed, retried and logged like an
           alert, and waits for its first attempt (exit code 0 when delivered, 1 when not)
  replay   sends a dead (or delivered) delivery again: the same id and body, signed anew, with a fresh retry
           schedule; waits for the attempt like test

  The running Pulse is found from --graphql, PULSE_GRAPHQL_URL or the endpoints file of \`pulse dev\`; list
  needs a key with the read scope, test and replay one with write. --wait 0 returns once queued.
`

/** A log row as the GraphQL API answers it. */
export interface DeliveryRow {
  id: string
  endpoint: string
  type: string
  status: 'PENDING' | 'DELIVERED' | 'DEAD'
  attempts: number
  httpStatus: number | null
  lastError: string | null
  latencyMs: number
  firstAttemptAt: string
  updatedAt: string
}

const FIELDS = 'id endpoint type status attempts httpStatus lastError latencyMs firstAttemptAt updatedAt'
const STATUSES = ['pending', 'delivered', 'dead'] as const

/** Pure: the log as a table for a terminal (times in UTC to the second; the error last, as it is the widest). */
export function formatDeliveries(rows: DeliveryRow[]): string {
  if (!rows.length) return 'no deliveries match'
  const header = ['UPDATED (UTC)', 'STATUS', 'ENDPOINT', 'TYPE', 'ATTEMPTS', 'HTTP', 'LATENCY', 'ID', 'LAST ERROR']
  const cells = rows.map((r) => [
    r.updatedAt.slice(0, 19).replace('T', ' '),
    r.status.toLowerCase(),
    r.endpoint,
    r.type,
    String(r.attempts),
    r.httpStatus === null ? '-' : String(r.httpStatus),
    `${r.latencyMs} ms`,
    r.id,
    r.lastError ?? '',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  // Numbers right-aligned, so attempts and latencies line up by magnitude.
  const right = new Set([4, 5, 6])
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : right.has(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(header), ...cells.map(line)].join('\n')
}

/** Pure: one delivery's outcome in a sentence. */
export function describeOutcome(r: DeliveryRow): string {
  const attempts = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`
  if (r.status === 'DELIVERED') return `${r.id} delivered to ${r.endpoint}: HTTP ${r.httpStatus} in ${r.latencyMs} ms (${attempts})`
  const why = r.lastError ?? 'unknown error'
  if (r.status === 'DEAD') return `${r.id} to ${r.endpoint} is dead after ${attempts}: ${why}`
  return `${r.id} to ${r.endpoint} failed (${why}, ${attempts}); it will be retried with backoff — follow it with \`pulse webhooks list --endpoint ${r.endpoint}\``
}

export async function webhooksCommand(argv: string[], env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      status: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      wait: { type: 'string', default: '30s' },
      graphql: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  const [sub, arg, ...extra] = positionals
  if (values.help || !sub || sub === 'help') {
    console.log(WEBHOOKS_USAGE)
    return 0
  }
  if (sub === 'list') {
    if (arg !== undefined) throw new Error(`pulse webhooks list takes no argument, got "${arg}" (filter with --endpoint, --status, --type, --since)`)
    return list(values, env)
  }
  if (sub !== 'test' && sub !== 'replay') {
    console.error(`unknown webhooks command "${sub}"\n\n${WEBHOOKS_USAGE}`)
    return 2
  }
  if (!arg || extra.length) throw new Error(sub === 'test' ? 'pulse webhooks test needs exactly one ENDPOINT: a name from the rules file\'s endpoints' : 'pulse webhooks replay needs exactly one DELIVERY_ID (see pulse webhooks list --status dead)')
  const waitMs = parseDuration(values.wait!)
  if (waitMs === undefined) throw new Error(`--wait must be a duration such as 30s, 2m or 0, got "${values.wait}"`)
  const endpoint = graphqlEndpoint(values, 'write', env)
  let id: string
  let before: string | undefined
  if (sub === 'test') {
    id = (await graphqlRequest<{ testWebhook: string }>(endpoint, 'mutation($endpoint: String!) { testWebhook(endpoint: $endpoint) }', { endpoint: arg })).testWebhook
  } else {
    // The log row before the replay: the replay's attempt is the first row updated after it.
    before = (await delivery(endpoint, arg))?.updatedAt
    id = (await graphqlRequest<{ replayWebhookDelivery: string }>(endpoint, 'mutation($id: ID!) { replayWebhookDelivery(id: $id) }', { id: arg })).replayWebhookDelivery
  }
  console.log(`${sub === 'test' ? 'test delivery' : 'replay of'} ${id} queued`)
  if (waitMs === 0) return 0
  const deadline = Date.now() + waitMs
  while (Date.now() < deadline) {
    const row = await delivery(endpoint, id)
    if (row && row.updatedAt !== before) {
      console.log(describeOutcome(row))
      return row.status === 'DELIVERED' ? 0 : 1
    }
    await sleep(500)
  }
  console.error(`no attempt of ${id} logged within ${values.wait}: is the playbooks component (the delivery worker) running? It stays queued; see pulse webhooks list`)
  return 1
}

async function delivery(endpoint: GraphQLEndpoint, id: string): Promise<DeliveryRow | undefined> {
  const { webhookDelivery } = await graphqlRequest<{ webhookDelivery: DeliveryRow | null }>(endpoint, `query($id: ID!) { webhookDelivery(id: $id) { ${FIELDS} } }`, { id })
  return webhookDelivery ?? undefined
}

async function list(values: { endpoint?: string; status?: string; type?: string; since?: string; limit?: string; json?: boolean; graphql?: string; key?: string }, env: NodeJS.ProcessEnv): Promise<number> {
  const status = values.status?.toLowerCase()
  if (status !== undefined && !STATUSES.includes(status as (typeof STATUSES)[number])) throw new Error(`--status must be one of ${STATUSES.join(', ')}, got "${values.status}"`)
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new Error(`--limit must be a whole number from 1 to 500, got "${values.limit}"`)
  let since: string | null = null
  if (values.since !== undefined) {
    const ms = parseDuration(values.since)
    if (ms === undefined) throw new Error(`--since must be a duration such as 24h, 7d or 90m, got "${values.since}"`)
    since = new Date(Date.now() - ms).toISOString()
  }
  const { webhookDeliveries: rows } = await graphqlRequest<{ webhookDeliveries: DeliveryRow[] }>(
    graphqlEndpoint(values, 'read', env),
    `query($endpoint: String, $status: WebhookDeliveryStatus, $type: String, $since: DateTimeISO, $first: Int!) {
      webhookDeliveries(endpoint: $endpoint, status: $status, type: $type, since: $since, first: $first) { ${FIELDS} } }`,
    { endpoint: values.endpoint ?? null, status: status?.toUpperCase() ?? null, type: values.type ?? null, since, first: limit },
  )
  console.log(values.json ? JSON.stringify(rows, null, 2) : formatDeliveries(rows))
  return 0
}
