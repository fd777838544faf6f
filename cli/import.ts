import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { cliApiKey, noKeyMessage, registryTarget } from './credentials.js'
import { readEndpoints } from '../runtime/endpoints-file.js'
import { CsvSource, readCsvHeader } from './import/csv-source.js'
import { importEvents } from './import/importer.js'
import type { ImportSource } from './import/import-source.js'
import { mappingFingerprint, MappingError, readMappingFile } from './import/mapping-file.js'
import { duration, progressBar, progressLine, type ImportProgress } from './import/progress.js'
import { registryFields } from './import/registry-fields.js'

export const IMPORT_USAGE = `usage: pulse import FILE|- [--mapping MAPPING.yaml] [--format ndjson|csv] [--strict] [--url URL] [--key KEY]
                    [--registry URL] [--rejects FILE] [--batch 500] [--concurrency 4] [--restart]

  sends event history through the gateway's /v1/batch with a backfill-scoped key, so history of any age is
  validated exactly like live events. Re-sending is safe: events already stored are answered as duplicates.

  NDJSON (the default): one event envelope per line, as /v1/track takes them (\`pulse simulate\` writes them).

  CSV (FILE ending in .csv, --format csv, or --mapping given): RFC 4180 with a header row; --mapping names a
  YAML or JSON file saying which column holds the event name (or one event for the file), accountId, userId,
  timestamp (ISO 8601 with a zone, or epoch seconds / milliseconds, told apart by size) and messageId, and
  which column feeds each property:

      event: event_name                  # or { value: invoice_paid } for a file of one event
      accountId: account_id
      userId: user_id                    # optional
      timestamp: occurred_at             # or { column: occurred_at, format: iso | epoch_seconds | epoch_millis }
      messageId: id                      # optional: else a UUIDv5 of the event and the row's cells
      properties:                        # for every event whose schema declares them
        currency: { value: EUR }
        method: { column: login, values: { sso: SSO } }
      events:                            # for one event
        invoice_paid: { properties: { amountCents: amount, dueDate: due_date } }

  Each property's type comes from the event's schema in the registry: a cell that does not fit it ("abc" for
  a long, 2026-02-30 for a date) rejects its row with the line, the column and what was expected; an empty
  cell is null where the schema allows null, else the default. Columns the mapping does not name are ignored.

  --mapping   the CSV mapping (checked before anything is sent: every problem is listed, exit code 2)
  --format    ndjson or csv (default: csv for a .csv FILE or with --mapping, else ndjson)
  --strict    CSV: refuse columns the mapping does not read, and rows with a value their event does not use
  --url       the gateway (default: PULSE_GATEWAY_URL, else the running \`pulse dev\` of PULSE_DATA_DIR)
  --key       an API key with the backfill scope (default: PULSE_API_KEY, else the first backfill-scoped
              entry of PULSE_API_KEYS, else the development key of the running \`pulse dev\`)
  --registry  CSV: where the event schemas are read (default: PULSE_REGISTRY_URL, else the running
              \`pulse dev\`'s, else http://127.0.0.1:8081), with the same key
  --rejects   where rejected lines (CSV: rows, by the line they start on) are listed with their line number
              and violations, as NDJSON (default: FILE.rejects.ndjson, or import-rejects.ndjson for standard input)
  --restart   ignore the checkpoint of an interrupted import of FILE and start from its first line

  An interrupted import (Ctrl-C, a crash) continues from its checkpoint (FILE.import-state.json) when run
  again with the same FILE (and mapping). Exit code: 0 when every line was accepted, 1 when any was rejected,
  2 when the arguments or the mapping are wrong (nothing sent), 130 when interrupted.
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
      mapping: { type: 'string' },
      format: { type: 'string' },
      strict: { type: 'boolean', default: false },
      registry: { type: 'string' },
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
  const format = values.format ?? (/\.csv$/i.test(input) || values.mapping !== undefined ? 'csv' : 'ndjson')
  const usageError = (message: string) => {
    console.error(`${message}\n\n${IMPORT_USAGE}`)
    return 2
  }
  if (format !== 'csv' && format !== 'ndjson') return usageError(`--format must be ndjson or csv, got "${format}"`)
  if (format === 'ndjson' && (values.mapping !== undefined || values.strict)) return usageError(`--${values.mapping !== undefined ? 'mapping' : 'strict'} is for CSV input, and ${input} is read as NDJSON (--format ndjson)`)
  if (format === 'csv' && values.mapping === undefined) return usageError(`a CSV import needs --mapping FILE: which column holds the event, accountId, timestamp and each property`)
  const base = input === '-' ? 'import' : input.replace(/\.(ndjson|jsonl|csv)$/i, '')
  const rejectsFile = values.rejects ?? (input === '-' ? 'import-rejects.ndjson' : `${base}.rejects.ndjson`)

  let source: ImportSource | undefined
  if (format === 'csv') {
    try {
      source = await csvSource(input, values.mapping!, values.strict, registryTarget({ registry: values.registry, key: apiKey }, 'any', env))
    } catch (err) {
      if (!(err instanceof MappingError)) throw err
      console.error(err.message)
      return 2
    }
  }

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
      source,
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
      `${summary.interrupted ? 'interrupted' : 'imported'}${resumed}: ${summary.lines} lines, ${summary.accepted} accepted, ${summary.duplicates} seen before (duplicates, or new events the dedup filter mistook for them; each stored once), ` +
        `${summary.rejected} rejected in ${duration(summary.elapsedMs)}${summary.rejected ? `; rejected lines are listed in ${rejectsFile}` : ''}`,
    )
    if (summary.interrupted) {
      console.error(`run the same command again to continue after line ${summary.lines}`)
      return 130
    }
    return summary.rejected ? 1 : 0
  } catch (err) {
    // From standard input the header, and so the mapping's check, comes with the stream; nothing was sent yet,
    // so the rejects file just opened holds nothing either.
    if (!(err instanceof MappingError)) throw err
    if (fs.existsSync(rejectsFile) && fs.statSync(rejectsFile).size === 0) fs.rmSync(rejectsFile)
    console.error(err.message)
    return 2
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * The CSV source for `input`: the mapping read and checked, and for a file its header bound and the events
 * the mapping names prepared, so every problem is reported before anything is sent (from standard input
 * this happens when the header arrives, still before anything is sent).
 */
async function csvSource(input: string, mappingPath: string, strict: boolean, registry: ReturnType<typeof registryTarget>): Promise<ImportSource> {
  const { mapping, where } = readMappingFile(mappingPath)
  const source = new CsvSource({
    mapping,
    where,
    inputLabel: input === '-' ? 'standard input' : input,
    fields: registryFields(registry),
    strict,
    fingerprint: mappingFingerprint(mapping, strict),
    onHeader: ({ ignored }) => {
      if (ignored.length) console.error(`note: the mapping reads no column ${ignored.map((c) => JSON.stringify(c)).join(', ')}; ${ignored.length > 1 ? 'they are' : 'it is'} ignored (--strict refuses ${ignored.length > 1 ? 'them' : 'it'})`)
    },
  })
  if (input !== '-') {
    const header = await readCsvHeader(input, mapping.delimiter)
    await source.prepare(header.fields, header.line)
  }
  return source
}
