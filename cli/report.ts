import { parseArgs } from 'node:util'
import { graphqlEndpoint } from './credentials.js'
import { formatHealthReport } from './report/health-report.js'
import { formatMetricsReport } from './report/metrics-report.js'
import { parseTargets } from '../processors/kpis/targets.js'
import { readHealthReport, readMetricsReport } from './report/report-data.js'

export const REPORT_USAGE = `usage: pulse report health|metrics [--month YYYY-MM] [--format markdown|json] [--graphql URL] [--key KEY]
                     [--targets nps=50,csat=4.5,ttv=7,adoption=0.8,expansion=0.2,nrr=1]

  health    the monthly Customer Health report: tiers with counts, % and MRR; at-risk accounts with their
            main issue and recommended action; critical accounts with days in the tier and owner;
            expansion-ready accounts
  metrics   the metric tracking sheet: tier distribution with change, NPS / CSAT / time to value / adoption /
            expansion / net retention against targets (--targets or PULSE_KPI_TARGETS), the cohort table

  --month defaults to the current month (up to now); the reports read a running Pulse's GraphQL API
`

export async function reportCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { month: { type: 'string' }, format: { type: 'string', default: 'markdown' }, graphql: { type: 'string' }, key: { type: 'string' }, targets: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  })
  const [which] = positionals
  if (values.help || !which || positionals.length > 1 || !['health', 'metrics'].includes(which)) {
    ;(values.help ? console.log : console.error)(REPORT_USAGE)
    return values.help ? 0 : 2
  }
  const format = values.format as 'markdown' | 'json'
  if (!['markdown', 'json'].includes(format)) throw new Error(`--format must be markdown or json, got "${values.format}"`)
  if (values.targets !== undefined && which !== 'metrics') throw new Error('--targets is for pulse report metrics')
  const month = values.month ?? new Date(now).toISOString().slice(0, 7)
  const endpoint = graphqlEndpoint(values, 'read', env)
  if (which === 'health') console.log(formatHealthReport(await readHealthReport(endpoint, month, now), format))
  else console.log(formatMetricsReport(await readMetricsReport(endpoint, month, now, parseTargets(values.targets ?? env.PULSE_KPI_TARGETS)), format))
  return 0
}
