import { graphqlEndpoint } from './credentials.js'
import { graphqlRequest } from './graphql-request.js'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { DriftRecord } from '../gateway/drift.js'

export const DRIFT_USAGE = `usage: pulse drift report [--since 24h] [--subject NAME] [--format text|markdown|json|github]
                         [--graphql URL] [--key KEY] [--dir schemas] [--fail-on-drift]

  what producers sent that the gateway refused, grouped by event, kind, field and source, most frequent first
`

/** A drift record as the GraphQL report aggregates it: summed count, first and last time. */
export type DriftEntry = Omit<DriftRecord, 'time' | 'count'> & { events: number; firstSeen: string; lastSeen: string }

const FORMATS = ['text', 'markdown', 'json', 'github'] as const
type Format = (typeof FORMATS)[number]

/** Pure: the drift report for a terminal, a pull-request comment, GitHub annotations or tools. */
export function formatDriftReport(entries: DriftEntry[], format: Format, since: string, schemaFile: (subject: string) => string | undefined = () => undefined): string {
  const total = entries.reduce((n, e) => n + e.events, 0)
  const summary = `${total} refused event${total === 1 ? '' : 's'} in ${entries.length} kind${entries.length === 1 ? '' : 's'} of drift over the last ${since}`
  const what = (e: DriftEntry) =>
    e.expected || e.path ? `${e.path || e.subject}: ${e.kind}${e.expected ? ` (expected ${e.expected}, got ${e.actual})` : ''}` : `${e.kind}: ${e.actual}`
  switch (format) {
    case 'json':
      return JSON.stringify({ since, total, entries }, null, 2)
    case 'github':
      return entries
        .map((e) => {
          const file = schemaFile(e.subject)
          return `::warning ${file ? `file=${file},line=1,` : ''}title=Schema drift in ${e.subject}::${e.events} events from ${e.source}: ${what(e)}`
        })
        .concat(summary)
        .join('\n')
    case 'markdown':
      return [
        `### Pulse drift report (last ${since})`,
        '',
        summary,
        ...(entries.length
          ? ['', '| Event | Version | Field | Kind | Expected | Actual | Source | Events | Last seen |', '| --- | --- | --- | --- | --- | --- | --- | ---: | --- |',
            ...entries.map((e) => `| \`${e.subject}\` | ${e.version || ''} | \`${e.path}\` | ${e.kind} | ${cell(e.expected)} | ${cell(e.actual)} | ${e.source} | ${e.events} | ${e.lastSeen} |`)]
          : []),
      ].join('\n')
    case 'text':
      return entries
        .map((e) => `${String(e.events).padStart(7)}  ${e.subject}${e.version ? ` v${e.version}` : ''}  ${what(e)}  [${e.source}, last ${e.lastSeen}]\n         sample: ${e.sample}`)
        .concat(summary)
        .join('\n')
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|')
}

export async function driftCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command !== 'report') {
    console.error(DRIFT_USAGE)
    return 2
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      since: { type: 'string', default: '24h' },
      subject: { type: 'string' },
      format: { type: 'string', default: 'text' },
      graphql: { type: 'string' },
      key: { type: 'string' },
      dir: { type: 'string', default: 'schemas' },
      'fail-on-drift': { type: 'boolean', default: false },
    },
  })
  const format = values.format as Format
  if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`)
  const endpoint = graphqlEndpoint(values, 'read')
  const { driftReport: entries } = await graphqlRequest<{ driftReport: DriftEntry[] }>(
    endpoint,
    `query($since: String!, $subject: String) { driftReport(since: $since, subject: $subject) {
      subject version kind path expected actual source events firstSeen lastSeen sample } }`,
    { since: values.since, subject: values.subject ?? null },
  )
  const schemaFile = (subject: string) => {
    const f = path.join(values.dir!, `${subject}.avsc`)
    return fs.existsSync(f) ? f : undefined
  }
  console.log(formatDriftReport(entries, format, values.since!, schemaFile))
  return values['fail-on-drift'] && entries.length ? 1 : 0
}
