import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { DAY, simulateEvents, type SimulationResult } from './simulate/portfolio.js'

export const SIMULATE_USAGE = `usage: pulse simulate --accounts N --days D [--seed S] [--churn-rate R] [--no-signal]
                     [--out FILE|-] [--truth FILE] [--end YYYY-MM-DD] [--horizon 90] [--omit EVENT,…]

  generates the event histories of a simulated portfolio for the whole catalog, as newline-delimited JSON
  envelopes ready for \`pulse import\`. Cancellations follow a hidden hazard driven by declining usage, unpaid
  failed payments, recent P1 tickets and detractor NPS answers; --no-signal makes them independent of all
  that. The truth — who canceled when, and every account's true probability of canceling within the
  horizon at each week — goes to --truth (default: FILE.truth.ndjson, or simulated-truth.ndjson with
  --out -). The same seed gives the same file, messageIds included.

  --churn-rate   share of accounts that cancel within the simulated days (default 0.2)
  --end          the day after the last simulated day (default today, UTC)
  --omit         kinds of event the portfolio does not send, e.g. email_engaged,csm_activity_logged
`

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      accounts: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'churn-rate': { type: 'string', default: '0.2' },
      'no-signal': { type: 'boolean', default: false },
      out: { type: 'string', default: '-' },
      truth: { type: 'string' },
      end: { type: 'string' },
      horizon: { type: 'string', default: '90' },
      omit: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(SIMULATE_USAGE)
    return 0
  }
  const whole = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v)
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number ≥ ${min}, got ${v === undefined ? 'nothing' : `"${v}"`}\n\n${SIMULATE_USAGE}`)
    return n
  }
  const churnRate = Number(values['churn-rate'])
  if (!(churnRate > 0 && churnRate < 1)) throw new Error(`--churn-rate must be a number between 0 and 1 (exclusive), got "${values['churn-rate']}"`)
  let endDay: number | undefined
  if (values.end !== undefined) {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(values.end) ? Date.parse(`${values.end}T00:00:00Z`) : NaN
    if (Number.isNaN(ms)) throw new Error(`--end must be a date like 2026-11-01, got "${values.end}"`)
    endDay = ms / DAY
  }
  const out = values.out!
  const truthFile = values.truth ?? (out === '-' ? 'simulated-truth.ndjson' : `${out.replace(/\.ndjson$|\.jsonl$/, '')}.truth.ndjson`)

  const sink = out === '-' ? process.stdout : fs.createWriteStream(out)
  const started = Date.now()
  const generator = simulateEvents({
    accounts: whole('accounts', values.accounts, 1),
    days: whole('days', values.days, 30),
    seed: whole('seed', values.seed, 0),
    churnRate,
    noSignal: values['no-signal'],
    endDay,
    horizonDays: whole('horizon', values.horizon, 1),
    omitEvents: values.omit?.split(',').map((e) => e.trim()).filter(Boolean),
  })
  let events = 0
  let buffered: string[] = []
  let result: SimulationResult
  for (;;) {
    const next = generator.next()
    if (next.done) {
      result = next.value
      break
    }
    events++
    buffered.push(JSON.stringify(next.value) + '\n')
    if (buffered.length >= 5000) {
      // Respect back-pressure: a simulated file can be gigabytes.
      if (!sink.write(buffered.join(''))) await new Promise<void>((resolve) => sink.once('drain', () => resolve()))
      buffered = []
    }
  }
  if (buffered.length) sink.write(buffered.join(''))
  if (sink !== process.stdout) await new Promise<void>((resolve, reject) => (sink as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())))
  const { truth } = result
  fs.writeFileSync(truthFile, truth.map((t) => JSON.stringify(t)).join('\n') + '\n')
  const churned = truth.filter((t) => t.churnedAt).length
  console.error(
    `simulated ${truth.length} accounts over ${values.days} days${values['no-signal'] ? ' (no signal)' : ''}: ${events} events${out === '-' ? '' : ` → ${out}`}, ` +
      `${churned} cancellations (${((100 * churned) / truth.length).toFixed(1)} %); truth → ${truthFile} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  )
  return 0
}
