import path from 'node:path'
import { parseArgs } from 'node:util'
import { cliApiKey, noKeyMessage } from './credentials.js'
import { readEndpoints } from '../runtime/endpoints-file.js'
import { importEvents } from './import/importer.js'
import { duration, progressBar, progressLine, type ImportProgress } from './import/progress.js'

export const IMPORT_USAGE = `usage: pulse import FILE|- [--url URL] [--key KEY] [--rejects FILE] [--batch 500] [--concurrency 4] [--restart]

  sends newline-delimited JSON event envelopes (one per line, as /v1/track takes them; \`pulse simulate\`
  writes them) through the gateway's /v1/batch with a backfill-scoped key, so history of any age is validated
  exactly like live events. Re-sending lines is safe: events already stored are answered as duplicates.

  --url       the gateway (default: PULSE_GATEWAY_URL, else the running \`pulse dev\` of PULSE_DATA_DIR)
  --key       an API key with the backfill scope (default: PULSE_API_KEY, else the first backfill-scoped
              entry of PULSE_API_KEYS, else the development key of the running \`pulse dev\`)
  --rejects   where rejected lines are listed with their line number and violations, as NDJSON
              (default: FILE.rejects.ndjson, or import-rejects.ndjson for standard input)
  --restart   ignore the checkpoint of an interrupted import of FILE and start from its first line

  An interrupted import (Ctrl-C, a crash) continues from its checkpoint (FILE.import-state.json) when run
  again with the same FILE. Exit code: 0 when every line was accepted, 1 when any was rejected, 130 when interrupted.
`

export async function importCommand(argv: string[], env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      rejects: { type: 'string' },
      batch: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4' },
      restart: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(IMPORT_USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    console.error(`pulse import takes one FILE (or - for standard input), got ${positionals.length}\n\n${IMPORT_USAGE}`)
    return 2
  }
  const input = positionals[0]
  const whole = (flag: string, v: string, min: number, max: number) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got "${v}"`)
    return n
  }
  const batchSize = whole('batch', values.batch!, 1, 500)
  const concurrency = whole('concurrency', values.concurrency!, 1, 64)
  const gatewayUrl = (values.url ?? env.PULSE_GATEWAY_URL ?? readEndpoints(path.resolve(env.PULSE_DATA_DIR || './.pulse'))?.gateway)?.replace(/\/+$/, '')
  if (!gatewayUrl) throw new Error('no gateway found: start `pulse dev` (same PULSE_DATA_DIR), or pass --url URL or set PULSE_GATEWAY_URL')
  const apiKey = cliApiKey('backfill', values.key, env)
  if (!apiKey) throw new Error(noKeyMessage('backfill'))
  const base = input === '-' ? 'import' : input.replace(/\.(ndjson|jsonl)$/, '')
  const rejectsFile = values.rejects ?? (input === '-' ? 'import-rejects.ndjson' : `${base}.rejects.ndjson`)

  const tty = Boolean(process.stderr.isTTY)
  let lastPrinted = 0
  const onProgress = (p: ImportProgress) => {
    const now = Date.now()
    if (now - lastPrinted < (tty ? 200 : 5000)) return
    lastPrinted = now
    if (tty) process.stderr.write(`\r\x1b[K${progressBar(p)}`)
    else console.error(progressLine(p))
  }
  const abort = new AbortController()
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130)
    console.error('\nstopping: waiting for the batches in flight, then saving the checkpoint (Ctrl-C again to quit at once)')
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const summary = await importEvents({
      input,
      gatewayUrl,
      apiKey,
      batchSize,
      concurrency,
      rejectsFile,
      stateFile: input === '-' ? undefined : `${base}.import-state.json`,
      restart: values.restart,
      onProgress,
      signal: abort.signal,
    })
    if (tty) process.stderr.write('\r\x1b[K')
    const resumed = summary.resumedAfterLine === null ? '' : ` (continued after line ${summary.resumedAfterLine})`
    console.error(
      `${summary.interrupted ? 'interrupted' : 'imported'}${resumed}: ${summary.lines} lines, ${summary.accepted} accepted, ${summary.duplicates} duplicates (already stored), ` +
        `${summary.rejected} rejected in ${duration(summary.elapsedMs)}${summary.rejected ? `; rejected lines are listed in ${rejectsFile}` : ''}`,
    )
    if (summary.interrupted) {
      console.error(`run the same command again to continue after line ${summary.lines}`)
      return 130
    }
    return summary.rejected ? 1 : 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
