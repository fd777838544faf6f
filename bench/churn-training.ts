// Churn training at portfolio scale: point-in-time feature extraction over weekly snapshots, the fit (penalty
// search and final fit), calibration and evaluation, each timed; the extraction against one bare GROUP BY scan
// of the same events in the same run. The portfolio is `pulse simulate`'s (seats scaled down so 50,000
// accounts stay around 15 M events), inserted straight into ClickHouse `events`.
// Run: node --import tsx bench/churn-training.ts [accounts=50000] [days=250] [snapshots=26] [horizonDays=30]
//      (BENCH_DATA_DIR=DIR keeps the loaded events; BENCH_SEAT_SCALE=0.15)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrate } from '../migrations/runner.js'
import { readTrainingSet } from '../processors/churn/snapshots.js'
import { trainChurnModel } from '../processors/churn/train.js'
import { queryRows } from '../processors/clickhouse-rows.js'
import { loadScorecard } from '../processors/scoring/index.js'
import { createClickHouse } from '../runtime/clickhouse.js'
import { insertSimulated } from '../test/support/simulated.js'

const accounts = Number(process.argv[2] ?? 50_000)
const days = Number(process.argv[3] ?? 250)
const snapshots = Number(process.argv[4] ?? 26)
const horizonDays = Number(process.argv[5] ?? 30)
const seatScale = Number(process.env.BENCH_SEAT_SCALE ?? 0.15)
const DAY = 86_400_000
const keep = process.env.BENCH_DATA_DIR
const dataDir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-churn-bench-'))
const clickhouse = createClickHouse({ dataDir })
await migrate(clickhouse)
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20)
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

// The history ends on the day it was loaded; a kept data set is trained as of that day, so the snapshots are the same.
const stamp = path.join(dataDir, 'loaded-day')
let endDay = Math.floor(Date.now() / DAY)
const [{ n }] = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM events')
if (Number(n) > 0 && fs.existsSync(stamp)) {
  endDay = Number(fs.readFileSync(stamp, 'utf8'))
  console.log(`using ${Number(n).toLocaleString('en-US')} events loaded earlier in ${dataDir}`)
} else {
  const started = Date.now()
  const { events: total } = await insertSimulated(clickhouse, { accounts, days, seed: 7, churnRate: 0.3, endDay, seatScale }, {
    batchSize: 200_000,
    onInserted: (n) => process.stdout.write(`\rloading: ${n.toLocaleString('en-US')} events, ${seconds(Date.now() - started)}, RSS ${mb()} MB`),
  })
  fs.writeFileSync(stamp, String(endDay))
  console.log(`\nloaded ${total.toLocaleString('en-US')} events of ${accounts} accounts over ${days} days in ${seconds(Date.now() - started)}`)
}
const now = endDay * DAY + 12 * 3_600_000

// Baseline: one bare scan of every event, grouped by account (median of 3).
const scans: number[] = []
for (let i = 0; i < 3; i++) {
  const t = Date.now()
  await queryRows(clickhouse, 'SELECT count() FROM (SELECT account_id, count() AS c, max(timestamp) AS last FROM events GROUP BY account_id)')
  scans.push(Date.now() - t)
}
const scan = scans.sort((a, b) => a - b)[1]

const card = loadScorecard({}).card
let peak = mb()
const sampler = setInterval(() => (peak = Math.max(peak, mb())), 250)
const t0 = Date.now()
const set = await readTrainingSet({ clickhouse, card }, { horizonDays, maxSnapshots: snapshots, now })
const extract = Date.now() - t0
const timings = { penalty: 0, fit: 0, calibrate: 0, evaluate: 0, suggest: 0 }
const t1 = Date.now()
const training = trainChurnModel(set.rows, { horizonDays, now, components: set.components, timings })
const train = Date.now() - t1
clearInterval(sampler)

console.log(
  `snapshots: ${set.dates.length} weekly, ${set.rows.length.toLocaleString('en-US')} account snapshots of ${new Set(set.rows.map((r) => r.accountId)).size.toLocaleString('en-US')} accounts ` +
    `(a ${(100 * set.sampled).toFixed(1)} % sample of ${set.accounts.toLocaleString('en-US')}), ${set.rows[0]?.x.length} features`,
)
console.log(`bare scan of every event (GROUP BY account_id, median of 3): ${scan} ms`)
console.log(`feature extraction: ${seconds(extract)} = ${(extract / scan).toFixed(1)}× the bare scan (${Math.round(extract / set.dates.length)} ms per snapshot)`)
console.log(`training: ${seconds(train)} — penalty search ${seconds(timings.penalty)}, fits ${seconds(timings.fit)}, calibration ${seconds(timings.calibrate)}, evaluation ${seconds(timings.evaluate)}, scorecard suggestion ${seconds(timings.suggest)}`)
console.log(`total: ${seconds(extract + train)} (goal: under 60 s); peak RSS ${peak} MB`)
console.log(`outcome: ${training.status} — ${training.reason}`)
await clickhouse.close()
