import { graphqlRequest } from './graphql-request.js'
import { parseArgs } from 'node:util'
import { parseDuration } from '../runtime/duration.js'
import { graphqlEndpoint } from './credentials.js'

export const CHURN_USAGE = `usage: pulse churn train [--horizon 90d] [--format text|markdown|json] [--graphql URL] [--key KEY]
       pulse churn backtest [--format text|markdown|json] [--graphql URL] [--key KEY]

  train      trains the churn model now on the running Pulse (point-in-time snapshots of the stored history,
             backtested on held-out accounts), puts the outcome in force and prints its backtest
  backtest   prints the backtest of the model in force: AUC with its 95 % interval, Brier score against the
             base rate's, log loss, calibration by decile, precision and recall in the riskiest 10 %, the same
             for the health score alone, and the drivers

  The running Pulse is found from --graphql, PULSE_GRAPHQL_URL or the endpoints file of \`pulse dev\`.
  Exit code 0 when the model is READY, 3 when it is INSUFFICIENT_DATA or NO_SIGNAL.
`

const EVALUATION = 'rows accounts churnEvents auc aucLow aucHigh brier logLoss calibrationError top10Precision top10Recall calibration { predicted observed accounts }'
const MODEL_FIELDS = `status reason version horizonDays trainedAt accounts churnEvents snapshots baseRate auc aucLow aucHigh brier brierBaseRate logLoss
  calibrationMethod backtest { ${EVALUATION} } healthScoreBacktest { ${EVALUATION} } topDrivers { feature description coefficient }`

interface Evaluation {
  rows: number
  accounts: number
  churnEvents: number
  auc: number
  aucLow: number
  aucHigh: number
  brier: number
  logLoss: number
  calibrationError: number
  top10Precision: number
  top10Recall: number
  calibration: { predicted: number; observed: number; accounts: number }[]
}

export interface ChurnModelAnswer {
  status: 'INSUFFICIENT_DATA' | 'NO_SIGNAL' | 'READY'
  reason: string
  version: string
  horizonDays: number
  trainedAt: string
  accounts: number
  churnEvents: number
  snapshots: number
  baseRate: number
  brierBaseRate: number | null
  calibrationMethod: string | null
  backtest: Evaluation | null
  healthScoreBacktest: Evaluation | null
  topDrivers: { feature: string; description: string; coefficient: number }[]
}

export async function churnCommand(argv: string[], env = process.env): Promise<number> {
  const [sub, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: {
      horizon: { type: 'string' },
      format: { type: 'string', default: 'text' },
      graphql: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help || !sub || sub === 'help') {
    console.log(CHURN_USAGE)
    return 0
  }
  if (sub !== 'train' && sub !== 'backtest') {
    console.error(`unknown churn command "${sub}"\n\n${CHURN_USAGE}`)
    return 2
  }
  const format = values.format!
  if (!['text', 'markdown', 'json'].includes(format)) throw new Error(`--format must be text, markdown or json, got "${format}"`)
  let horizonDays: number | null = null
  if (values.horizon !== undefined) {
    if (sub !== 'train') throw new Error('--horizon is for pulse churn train')
    const ms = parseDuration(values.horizon)
    if (ms === undefined || ms < 86_400_000 || ms % 86_400_000 !== 0) throw new Error(`--horizon must be a whole number of days such as 30d or 90d, got "${values.horizon}"`)
    horizonDays = ms / 86_400_000
  }
  const endpoint = graphqlEndpoint(values, sub === 'train' ? 'write' : 'read', env)
  const query =
    sub === 'train'
      ? `mutation($horizonDays: Int) { trainChurnModel(horizonDays: $horizonDays) { ${MODEL_FIELDS} } }`
      : `{ churnModel { ${MODEL_FIELDS} } }`
  const data = await graphqlRequest<{ trainChurnModel?: ChurnModelAnswer; churnModel?: ChurnModelAnswer | null }>(endpoint, query, { horizonDays })
  const model = data.trainChurnModel ?? data.churnModel
  if (!model) {
    console.error('No churn model has been trained yet: run `pulse churn train`.')
    return 3
  }
  console.log(format === 'json' ? JSON.stringify(model, null, 2) : formatBacktest(model, format === 'markdown'))
  return model.status === 'READY' ? 0 : 3
}

const f3 = (n: number) => n.toFixed(3)
const pct = (n: number) => `${(100 * n).toFixed(1)} %`

/** Pure: the backtest report, as plain text for a terminal or as Markdown for a pull request or a wiki. */
export function formatBacktest(m: ChurnModelAnswer, markdown = false): string {
  const h = (title: string) => (markdown ? `\n### ${title}\n` : `\n${title}\n${'-'.repeat(title.length)}`)
  const table = (head: string[], rows: string[][]) => {
    if (markdown) return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
    const widths = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)))
    const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
    return [line(head), ...rows.map(line)].join('\n')
  }
  const out = [
    `${markdown ? '## ' : ''}Churn model ${m.version}: ${m.status}`,
    '',
    m.reason,
    '',
    `Horizon ${m.horizonDays} days · trained ${m.trainedAt} · ${m.snapshots} weekly snapshots of ${m.accounts} accounts · ${m.churnEvents} churned accounts · base rate ${pct(m.baseRate)}`,
  ]
  const b = m.backtest
  if (!b) return out.join('\n')
  const hs = m.healthScoreBacktest
  const row = (name: string, e: Evaluation | null, brierBase: number | null): string[] =>
    e
      ? [name, `${f3(e.auc)} (${f3(e.aucLow)}–${f3(e.aucHigh)})`, f3(e.brier), brierBase === null ? '' : f3(brierBase), f3(e.logLoss), f3(e.calibrationError), pct(e.top10Precision), pct(e.top10Recall)]
      : [name, 'n/a', '', '', '', '', '', '']
  out.push(
    h(`Backtest on held-out accounts (${b.rows} snapshots of ${b.accounts} accounts, ${b.churnEvents} churned; calibration: ${m.calibrationMethod})`),
    table(['predictor', 'AUC (95 % CI)', 'Brier', 'base-rate Brier', 'log loss', 'ECE', 'top-10 % precision', 'top-10 % recall'], [row('churn model', b, m.brierBaseRate), row('health score alone', hs, m.brierBaseRate)]),
    h('Calibration by decile of predicted risk'),
    table(['decile', 'predicted', 'observed', 'snapshots'], b.calibration.map((c, i) => [String(i + 1), pct(c.predicted), pct(c.observed), String(c.accounts)])),
  )
  if (m.topDrivers.length) {
    out.push(
      h('What drives the model (log-odds per standard deviation; positive raises risk)'),
      table(['feature', 'coefficient', 'meaning'], m.topDrivers.map((d) => [d.feature, (d.coefficient >= 0 ? '+' : '') + d.coefficient.toFixed(3), d.description])),
    )
  }
  return out.join('\n')
}
