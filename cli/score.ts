import { graphqlRequest } from './graphql-request.js'
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { DEFAULT_SCORECARD_FILE, readYaml, resolveScorecard, scorecardFile, sourceLabel } from '../processors/scoring/scorecard-file.js'
import type { DryRun } from '../processors/scoring/index.js'
import { graphqlEndpoint } from './credentials.js'

export const SCORE_USAGE = `usage: pulse score --dry-run [--config FILE|PRESET] [--account ID]… [--limit 20] [--format text|json] [--graphql URL] [--key KEY]
       pulse score suggest [--format text|markdown|json] [--graphql URL]   (weights the churn history suggests; see pulse score suggest --help)

  scores every account (or the --account ones) now with the running scorecard and with a candidate, and
  prints what would move: per account and as a tier-change matrix. Writes nothing.
  The candidate is --config, else PULSE_SCORING_CONFIG, else ./${DEFAULT_SCORECARD_FILE}; PULSE_SCORING_WEIGHT_*
  variables apply to it as they would at start-up. The running Pulse is found from --graphql, PULSE_GRAPHQL_URL
  or the endpoints file of \`pulse dev\` (PULSE_DATA_DIR).
`

const DRY_RUN_QUERY = `query($scorecard: String!, $fileName: String!, $weights: JSONObject, $accountIds: [ID!], $limit: Int!) {
  scorecardDryRun(scorecard: $scorecard, fileName: $fileName, weights: $weights, accountIds: $accountIds, limit: $limit) {
    asOf current { version source } candidate { version source } accountsScored tierChanges scoreChanges
    currentTiers candidateTiers matrix { from to accounts }
    accounts { accountId change tierChanged current { score tier status coverage } candidate { score tier status coverage } }
  } }`

type DryRunAnswer = Omit<DryRun, 'asOf'> & { asOf: string }

export async function scoreCommand(argv: string[], env = process.env): Promise<number> {
  if (argv[0] === 'suggest') return (await import('./score-suggest.js')).scoreSuggestCommand(argv.slice(1), env)
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      config: { type: 'string' },
      account: { type: 'string', multiple: true },
      limit: { type: 'string', default: '20' },
      format: { type: 'string', default: 'text' },
      graphql: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help || !values['dry-run']) {
    console.error(values.help ? SCORE_USAGE : `pulse score writes nothing and needs --dry-run; scores are written by the scoring component.\n\n${SCORE_USAGE}`)
    return values.help ? 0 : 2
  }
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`--limit must be a whole number ≥ 0, got "${values.limit}"`)
  if (!['text', 'json'].includes(values.format!)) throw new Error(`--format must be text or json, got "${values.format}"`)

  // Validated here first, so a broken file fails with its line before anything is asked of the server.
  const config = values.config ?? env.PULSE_SCORING_CONFIG
  const file = scorecardFile(config)
  const text = fs.readFileSync(file, 'utf8')
  const fileName = sourceLabel(file)
  resolveScorecard(readYaml(file, text), env)
  const weights = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('PULSE_SCORING_WEIGHT_') && v))

  const endpoint = graphqlEndpoint(values, 'read', env)
  const { scorecardDryRun: run } = await graphqlRequest<{ scorecardDryRun: DryRunAnswer }>(endpoint, DRY_RUN_QUERY, { scorecard: text, fileName, weights, accountIds: values.account ?? null, limit })
  console.log(values.format === 'json' ? JSON.stringify(run, null, 2) : formatDryRun(run))
  return 0
}

/** Pure: the dry run for a terminal — summary, tier-change matrix, then the accounts that move most. */
export function formatDryRun(run: DryRunAnswer): string {
  const lines = [
    `Candidate ${run.candidate.source} (version ${run.candidate.version}) against the running ${run.current.source} (version ${run.current.version}), as of ${run.asOf}`,
    `${run.accountsScored} account${run.accountsScored === 1 ? '' : 's'} scored: ${run.tierChanges} would change tier, ${run.scoreChanges} would change score.`,
  ]
  if (run.current.version === run.candidate.version) lines.push('The candidate is the running scorecard: nothing would move.')
  if (!run.accountsScored) return lines.join('\n')

  const count = (from: string, to: string) => run.matrix.find((m) => m.from === from && m.to === to)?.accounts ?? 0
  const head = ['now \\ candidate', ...run.candidateTiers]
  const rows = run.currentTiers.map((from) => [from, ...run.candidateTiers.map((to) => String(count(from, to) || '.'))])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const row = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  lines.push('', 'Tier changes (rows: tier now; columns: tier with the candidate)', row(head), ...rows.map(row))

  const shown = run.accounts.filter((a) => a.tierChanged || a.change !== 0)
  if (shown.length) {
    const outcome = (o: DryRunAnswer['accounts'][number]['current']) => (o.score === null ? `— ${o.status} (coverage ${Math.round(o.coverage * 100)}%)` : `${o.score} ${o.tier}`)
    const table = shown.map((a) => [a.accountId, outcome(a.current), outcome(a.candidate), a.change === null ? '' : a.change > 0 ? `+${a.change}` : String(a.change), a.tierChanged ? 'tier' : ''])
    const w = [7, 3, 9, 6].map((min, i) => Math.max(min, ...table.map((t) => t[i].length)))
    lines.push('', `Accounts that would move (tier changes first, then the largest changes${run.accounts.length < run.accountsScored ? `; first ${run.accounts.length}` : ''}):`)
    lines.push(`  ${'account'.padEnd(w[0])}  ${'now'.padEnd(w[1])}  ${'candidate'.padEnd(w[2])}  ${'change'.padStart(w[3])}`)
    for (const t of table) lines.push(`  ${t[0].padEnd(w[0])}  ${t[1].padEnd(w[1])}  ${t[2].padEnd(w[2])}  ${t[3].padStart(w[3])}  ${t[4]}`.trimEnd())
  }
  return lines.join('\n')
}
