// End-to-end freshness at a steady event rate: time from the gateway's 202 to the event being queryable in
// ClickHouse, and to its account's score reaching a graphql-ws subscriber. The whole platform runs in this
// process (embedded chDB can only be queried from the process that owns it), so the load generator and the
// probes share its event loop: these are upper bounds.
// Run: node --import tsx bench/freshness.ts [eventsPerSecond=5000] [seconds=20]
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient as createWsClient } from 'graphql-ws'
import WebSocket from 'ws'
import { createClickHouse } from '../runtime/clickhouse.js'
import { loadConfig } from '../platform/config.js'
import { createLogger } from '../runtime/logger.js'
import { startPlatform } from '../platform/index.js'

const rate = Number(process.argv[2] ?? 5000)
const seconds = Number(process.argv[3] ?? 20)
const TICK_MS = 100
const perTick = Math.round((rate * TICK_MS) / 1000)
const KEY = 'freshness-bench-key'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-fresh-'))
const config = loadConfig({
  PULSE_DATA_DIR: dataDir,
  PULSE_API_KEYS: `bench:${KEY}`,
  PULSE_GATEWAY_PORT: '0',
  PULSE_REGISTRY_PORT: '0',
  PULSE_GRAPHQL_PORT: '0',
  PULSE_RATE_LIMIT: '1000000/1s',
  PULSE_LOG_LEVEL: 'error',
  ...(process.env.PULSE_PROCESSOR_BATCH_BYTES ? { PULSE_PROCESSOR_BATCH_BYTES: process.env.PULSE_PROCESSOR_BATCH_BYTES } : {}),
  ...(process.env.PULSE_PROCESSOR_BATCH_WAIT ? { PULSE_PROCESSOR_BATCH_WAIT: process.env.PULSE_PROCESSOR_BATCH_WAIT } : {}),
})
const platform = await startPlatform(config, createLogger(config.logLevel))
const clickhouse = createClickHouse({ dataDir })

// One marker event per tick, for an account of its own, so its first score is always pushed.
const acked = new Map<string, { at: number; account: string }>()
const queryable: number[] = []
const pushed: number[] = []
const accountOf = new Map<string, string>()
const ws = createWsClient({ url: platform.endpoints.graphqlWs, webSocketImpl: WebSocket })
ws.subscribe(
  { query: 'subscription { healthScoreChanged { accountId } }' },
  {
    next: (m: any) => {
      const marker = accountOf.get(m.data?.healthScoreChanged?.accountId)
      const a = marker && acked.get(marker)
      if (a && !(a as any).pushed) {
        ;(a as any).pushed = true
        pushed.push(Date.now() - a.at)
      }
    },
    error: () => {},
    complete: () => {},
  },
)
await new Promise((r) => setTimeout(r, 500))

let sending = true
let sent = 0
let refused = 0
const generator = (async () => {
  let next = Date.now()
  while (sending) {
    const markerId = crypto.randomUUID()
    const markerAccount = `fresh_${markerId.slice(0, 8)}`
    const now = new Date().toISOString()
    const batch = Array.from({ length: perTick }, (_, i) => ({
      event: 'feature_used',
      messageId: i === 0 ? markerId : crypto.randomUUID(),
      accountId: i === 0 ? markerAccount : `acct_${i % 200}`,
      timestamp: now,
      properties: { feature: 'reports.export' },
    }))
    void fetch(`${platform.endpoints.gateway}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ batch }),
    }).then(async (res) => {
      const body = (await res.json()) as { accepted: number }
      sent += body.accepted ?? 0
      if (res.status !== 200) refused += perTick
      else {
        acked.set(markerId, { at: Date.now(), account: markerAccount })
        accountOf.set(markerAccount, markerId)
      }
    })
    next += TICK_MS
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())))
  }
})()

const poller = (async () => {
  while (sending || [...acked.keys()].some((id) => !(acked.get(id) as any).seen)) {
    const pending = [...acked.entries()].filter(([, a]) => !(a as any).seen).map(([id]) => id)
    if (pending.length) {
      const rs = await clickhouse.query({ query: 'SELECT message_id FROM events WHERE message_id IN {ids:Array(String)}', query_params: { ids: pending }, format: 'JSONEachRow' })
      const now = Date.now()
      for (const { message_id } of await rs.json<{ message_id: string }>()) {
        const a = acked.get(message_id)!
        if (!(a as any).seen) {
          ;(a as any).seen = true
          queryable.push(now - a.at)
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50))
  }
})()

await new Promise((r) => setTimeout(r, seconds * 1000))
sending = false
await generator
await Promise.race([poller, new Promise((r) => setTimeout(r, 15_000))])
await new Promise((r) => setTimeout(r, 3000)) // let the last scores arrive
await ws.dispose()
// Rows of one processor batch share their received_at (formatted once per batch): rows per insert.
const inserts = await clickhouse.query({ query: 'SELECT count() AS rows, uniqExact(received_at) AS batches FROM events', format: 'JSONEachRow' })
const { rows, batches } = (await inserts.json<{ rows: string; batches: string }>())[0]
await clickhouse.close()
await platform.stop()
fs.rmSync(dataDir, { recursive: true, force: true })

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN
}
const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${pct(xs, 50)} | ${pct(xs, 95)} | ${pct(xs, 99)} |`
console.log(`offered ${rate} events/s for ${seconds} s: ${sent} accepted (${Math.round(sent / seconds)}/s), ${refused} not accepted
processor batches: ${batches} for ${rows} rows (${Math.round(Number(rows) / Number(batches))} rows per insert; PULSE_PROCESSOR_BATCH_BYTES=${config.processorBatch.minBytes}, PULSE_PROCESSOR_BATCH_WAIT=${config.processorBatch.maxWaitMs} ms)
| from the 202 to… | samples | p50 ms | p95 ms | p99 ms |
| --- | ---: | ---: | ---: | ---: |
${row('row queryable in ClickHouse', queryable)}
${row('score pushed to a graphql-ws subscriber', pushed)}`)
process.exit(0)
