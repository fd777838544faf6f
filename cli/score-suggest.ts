import { graphqlRequest } from './graphql-request.js'
import { parseArgs } from 'node:util'
import { graphqlEndpoint } from './credentials.js'

export const SUGGEST_USAGE = `usage: pulse score suggest [--format text|markdown|json] [--graphql URL] [--key KEY]

  what the churn history says about the running scorecard, from the churn model's last training: how well
  each component predicts churn on its own (AUC), the weights the history suggests (each component's share of
  100), and both scorecards backtested on the same held-out accounts and weeks as the churn model.
  Train first with \`pulse churn train\` (it also runs weekly). The running Pulse is found from --graphql,
  PULSE_GRAPHQL_URL or the endpoints file of \`pulse dev\`.
`

interface Backtest {
  auc: number
  aucLow: number
  aucHigh: number
  brier: number
}

export interface SuggestionAnswer {
  version: string
  status: string
  trainedAt: string
  horizonDays: number
  scorecardSuggestion: {
    components: { name: string; measure: string; currentWeight: number; suggestedWeight: number; auc: number | null; coverage: number }[]
    current: Backtest | null
    suggested: Backtest | null
    trainRows: number
    testRows: number
  } | null
}

const QUERY = `{ churnModel { version status trainedAt horizonDays scorecardSuggestion {
  components { name measure currentWeight suggestedWeight auc coverage } current { auc aucLow aucHigh brier } suggested { auc aucLow aucHigh brier } trainRows testRows } } }`

export async function scoreSuggestCommand(argv: string[], env = process.env): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { format: { type: 'string', default: 'text' }, graphql: { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', default: false } } })
  if (values.help) {
    console.log(SUGGEST_USAGE)
    return 0
  }
  if (!['text', 'markdown', 'json'].includes(values.format!)) throw new Error(`--format must be text, markdown or json, got "${values.format}"`)
  const endpoint = graphqlEndpoint(values, 'read', env)
  const model = (await graphqlRequest<{ churnModel: SuggestionAnswer | null }>(endpoint, QUERY)).churnModel
  if (!model?.scorecardSuggestion) {
    console.error(model ? `The last churn training (${model.status}) had too little history to judge the scorecard: see \`pulse churn backtest\`.` : 'No churn model has been trained yet: run `pulse churn train`.')
    return 3
  }
  console.log(values.format === 'json' ? JSON.stringify(model, null, 2) : formatSuggestion(model, values.format === 'markdown'))
  return 0
}

/** Pure: the suggestion as a table per component and the two backtests. */
export function formatSuggestion(m: SuggestionAnswer, markdown = false): string {
  const s = m.scorecardSuggestion!
  const f3 = (n: number | null) => (n === null ? 'n/a' : n.toFixed(3))
  const head = ['component', 'measure', 'AUC alone', 'coverage', 'weight now', 'suggested']
  const rows = [...s.components]
    .sort((a, b) => b.suggestedWeight - a.suggestedWeight || (b.auc ?? 0) - (a.auc ?? 0))
    .map((c) => [c.name, c.measure, f3(c.auc), `${Math.round(c.coverage * 100)} %`, `${c.currentWeight} %`, `${c.suggestedWeight} %`])
  const table = markdown
    ? [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
    : (() => {
        const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
        const line = (r: string[]) => '  ' + r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')
        return [line(head), ...rows.map(line)].join('\n')
      })()
  const bt = (name: string, b: Backtest | null) => `${name}: ${b ? `AUC ${f3(b.auc)} (95 % interval ${f3(b.aucLow)}–${f3(b.aucHigh)}), Brier ${b.brier.toFixed(4)}` : 'not enough held-out data'}`
  const verdict =
    s.current && s.suggested
      ? s.suggested.aucLow > s.current.auc
        ? 'The suggested weights rank churners clearly better than the current ones.'
        : s.suggested.auc > s.current.auc
          ? 'The suggested weights rank churners somewhat better, within the uncertainty of the backtest.'
          : 'The current weights do as well as the suggested ones: no change is needed.'
      : ''
  return [
    `${markdown ? '## ' : ''}Scorecard against ${m.horizonDays}-day churn (churn model ${m.version}, trained ${m.trainedAt}; ${s.trainRows} account snapshots to fit, ${s.testRows} held out)`,
    '',
    table,
    '',
    bt('Current scorecard', s.current),
    bt('Suggested weights', s.suggested),
    verdict,
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n')
}
