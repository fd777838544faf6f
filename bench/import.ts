// `pulse import` throughput against the gateway's own /v1/batch ceiling, on the same `pulse dev` in the same run.
// The ceiling: autocannon posting 500-event batches of the same simulated events (fresh messageIds each
// request) on as many connections as the import keeps batches in flight (4). Then `pulse import` sends a
// freshly simulated file. Both go through the whole platform (the processor stores as they send).
// Run: node --import tsx bench/import.ts [accounts=300] [days=180] [ceilingSeconds=20]
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const accounts = Number(process.argv[2] ?? 300)
const days = Number(process.argv[3] ?? 180)
const ceilingSeconds = Number(process.argv[4] ?? 20)
const KEY = 'bench-backfill-secret'
const PULSE_BIN = fileURLToPath(new URL('../bin/pulse.mjs', import.meta.url))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-import-bench-'))

const pulse = spawn(process.execPath, [PULSE_BIN, 'dev'], {
  env: { ...process.env, PULSE_DATA_DIR: path.join(dir, 'data'), PULSE_API_KEYS: `bench:${KEY}:track+backfill`, PULSE_GATEWAY_PORT: '0', PULSE_REGISTRY_PORT: '0', PULSE_GRAPHQL_PORT: '0', PULSE_LOG_LEVEL: 'warn', PULSE_RATE_LIMIT: '1000000/1s' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
let out = ''
pulse.stdout.on('data', (d) => (out += d))
while (!/gateway\s+http/.test(out)) await new Promise((r) => setTimeout(r, 200))
const gateway = /gateway\s+(http:\S+)\/v1\/track/.exec(out)![1]

const run = (args: string[]) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [PULSE_BIN, ...args], { env: { ...process.env, PULSE_API_KEY: KEY } })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    child.on('close', (code) => resolve({ code, out: text }))
  })

// Two portfolios from different seeds: one feeds the ceiling's batches, the other is imported.
const ceilingFile = path.join(dir, 'ceiling.ndjson')
const importFile = path.join(dir, 'history.ndjson')
for (const [file, seed] of [[ceilingFile, 1], [importFile, 2]] as const) {
  const r = await run(['simulate', '--accounts', String(accounts), '--days', String(days), '--seed', String(seed), '--out', file])
  if (r.code !== 0) throw new Error(r.out)
}
const sample = fs.readFileSync(ceilingFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
let cursor = 0
const batchBody = () => {
  const batch = []
  for (let i = 0; i < 500; i++) batch.push({ ...sample[cursor++ % sample.length], messageId: crypto.randomUUID() })
  return JSON.stringify({ batch })
}
const ceiling = await autocannon({
  url: `${gateway}/v1/batch`,
  method: 'POST',
  connections: 4,
  duration: ceilingSeconds,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
  requests: [{ setupRequest: (req: any) => ({ ...req, body: batchBody() }) }],
})
const ceilingRate = (ceiling.requests.total * 500) / ceilingSeconds
if (ceiling.non2xx) console.log(`ceiling: ${ceiling.non2xx} non-2xx answers`)
// Let the processor drain what the ceiling sent before timing the import.
await new Promise((r) => setTimeout(r, 10_000))

const lines = fs.readFileSync(importFile, 'utf8').trim().split('\n').length
const started = Date.now()
const imported = await run(['import', importFile, '--url', gateway])
const seconds = (Date.now() - started) / 1000
if (imported.code !== 0) throw new Error(imported.out)
const rate = lines / seconds
console.log(imported.out.trim().split('\n').at(-1))
console.log(`/v1/batch ceiling (autocannon, 500-event batches, 4 connections, ${ceilingSeconds} s): ${Math.round(ceilingRate).toLocaleString('en-US')} events/s`)
console.log(`pulse import of ${lines.toLocaleString('en-US')} events (${accounts} accounts × ${days} days): ${seconds.toFixed(1)} s = ${Math.round(rate).toLocaleString('en-US')} events/s = ${(rate / ceilingRate).toFixed(2)}× the ceiling`)
pulse.kill('SIGTERM')
await new Promise((r) => pulse.on('close', r))
fs.rmSync(dir, { recursive: true, force: true })
