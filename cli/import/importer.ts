/**
 * Sends a file of event envelopes (newline-delimited JSON, or CSV rows through a mapping: an ImportSource)
 * through the gateway's `/v1/batch`, as any producer would, so imported history is validated exactly like
 * live events. Batches go out a few at a time; the
 * checkpoint only moves past a batch once it and every batch before it were answered, and the rejects of
 * those batches are written in input order at the same moment, so an import killed at any point continues
 * from its checkpoint without losing or repeating a line (re-sent events are answered as duplicates).
 */
import fs from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { readState, sameInput, writeState, type ImportState } from './import-state.js'
import type { ImportSource } from './import-source.js'
import { ndjsonSource } from './ndjson-source.js'
import type { ImportProgress } from './progress.js'

export interface ImportOptions {
  /** A file path, or '-' for standard input (no checkpoint then: it cannot be read again). */
  input: string
  /** How the input reads. @defaultValue newline-delimited JSON envelopes */
  source?: ImportSource
  gatewayUrl: string
  apiKey: string
  /** @defaultValue 500 (the gateway's limit) */
  batchSize?: number
  /** Batches in flight at once. @defaultValue 4 */
  concurrency?: number
  /** Where each rejected line goes, as NDJSON: its line number, messageId, error and violations. */
  rejectsFile: string
  /** The checkpoint; absent for standard input. */
  stateFile?: string
  /** Ignore an existing checkpoint and start from the first line. */
  restart?: boolean
  onProgress?: (p: ImportProgress) => void
  /** Stop sending new batches; those in flight are answered and checkpointed. */
  signal?: AbortSignal
  fetch?: typeof fetch
  /** Attempts for a batch the gateway could not take (unavailable, rate limited, network). @defaultValue 20 */
  maxAttempts?: number
}

export interface ImportSummary {
  lines: number
  accepted: number
  duplicates: number
  rejected: number
  /** Line the import continued after, when it resumed from a checkpoint. */
  resumedAfterLine: number | null
  interrupted: boolean
  elapsedMs: number
}

export interface Reject {
  line: number
  messageId?: string
  event?: string
  error: string
  message?: string
  violations?: unknown[]
}

interface Batch {
  lastLine: number
  end: number
  lines: number
  events: { line: number; body: Record<string, unknown>; columns?: Record<string, string> }[]
  rejects: Reject[]
  accepted: number
  duplicates: number
}

class FatalImportError extends Error {}

export async function importEvents(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now()
  const batchSize = opts.batchSize ?? 500
  const concurrency = opts.concurrency ?? 4
  const doFetch = opts.fetch ?? fetch
  const maxAttempts = opts.maxAttempts ?? 20
  const source = opts.source ?? ndjsonSource

  let state: ImportState | undefined
  let input: ImportState['input'] | undefined
  let stream: AsyncIterable<Buffer>
  let totalBytes: number | null = null
  if (opts.input === '-') {
    stream = process.stdin
  } else {
    const stat = fs.statSync(opts.input)
    input = { path: fs.realpathSync(opts.input), size: stat.size, mtimeMs: stat.mtimeMs }
    totalBytes = stat.size
    const saved = opts.stateFile && !opts.restart ? readState(opts.stateFile) : undefined
    if (saved && !sameInput(saved, input)) {
      throw new Error(`the checkpoint ${opts.stateFile} is for ${saved.input.path} as it was (${saved.input.size} bytes); ${opts.input} is not that file any more: pass --restart to import it from the first line`)
    }
    if (saved && saved.source !== source.fingerprint) {
      throw new Error(`the checkpoint ${opts.stateFile} was made ${saved.source ? 'with another mapping (or --strict setting)' : 'reading the file as NDJSON'}; continuing ${source.fingerprint ? 'with this mapping' : 'as NDJSON'} would read rows before and after it differently: pass --restart to import it from the first line (rows already stored are answered as duplicates)`)
    }
    state = saved
    stream = fs.createReadStream(opts.input, { start: state?.byteOffset ?? 0, highWaterMark: 1 << 20 })
  }
  // Resuming: the rejects file is cut back to what the checkpoint had written, so no reject is listed twice.
  if (state) fs.truncateSync(opts.rejectsFile, state.rejectsBytes)
  else fs.writeFileSync(opts.rejectsFile, '')
  const rejectsFd = fs.openSync(opts.rejectsFile, 'a')
  let rejectsBytes = state?.rejectsBytes ?? 0

  const totals = { lines: state?.line ?? 0, accepted: state?.accepted ?? 0, duplicates: state?.duplicates ?? 0, rejected: state?.rejected ?? 0, bytes: state?.byteOffset ?? 0 }
  const progress = () => opts.onProgress?.({ ...totals, totalBytes, elapsedMs: Date.now() - started })

  // Batches in input order; the head is checkpointed as soon as it is answered.
  const window: { batch: Batch; done: Promise<void>; finished: boolean }[] = []
  let failure: unknown
  const settle = () => {
    while (window.length && window[0].finished) {
      const { batch } = window.shift()!
      if (batch.rejects.length) {
        const text = batch.rejects.sort((a, b) => a.line - b.line).map((r) => JSON.stringify(r)).join('\n') + '\n'
        fs.writeSync(rejectsFd, text)
        rejectsBytes += Buffer.byteLength(text)
      }
      totals.lines = batch.lastLine
      totals.bytes = batch.end
      totals.accepted += batch.accepted
      totals.duplicates += batch.duplicates
      totals.rejected += batch.rejects.length
      if (opts.stateFile && input) writeState(opts.stateFile, { input, ...(source.fingerprint ? { source: source.fingerprint } : {}), byteOffset: batch.end, line: batch.lastLine, accepted: totals.accepted, duplicates: totals.duplicates, rejected: totals.rejected, rejectsBytes })
      progress()
    }
  }
  const launch = (batch: Batch) => {
    const entry = { batch, finished: false, done: Promise.resolve() }
    entry.done = send(batch, opts, doFetch, maxAttempts).then(
      () => {
        entry.finished = true
        settle()
      },
      (err) => {
        failure ??= err
      },
    )
    window.push(entry)
  }

  let interrupted = false
  let batch: Batch | undefined
  const newBatch = (): Batch => ({ lastLine: 0, end: 0, lines: 0, events: [], rejects: [], accepted: 0, duplicates: 0 })
  try {
    for await (const item of source.items(stream, { offset: state?.byteOffset ?? 0, line: state?.line ?? 0 })) {
      if (failure) break
      if (opts.signal?.aborted) {
        interrupted = true
        break
      }
      batch ??= newBatch()
      batch.lastLine = item.lastLine
      batch.end = item.end
      batch.lines++
      if (item.event) batch.events.push({ line: item.line, body: item.event.body, ...(item.event.columns ? { columns: item.event.columns } : {}) })
      else if (item.reject) batch.rejects.push({ line: item.line, ...item.reject })
      if (batch.events.length >= batchSize) {
        launch(batch)
        batch = undefined
        while (window.filter((w) => !w.finished).length >= concurrency && !failure) await Promise.race(window.filter((w) => !w.finished).map((w) => w.done))
      }
    }
    if (batch && !failure && !interrupted) launch(batch)
    await Promise.all(window.map((w) => w.done))
    if (failure) throw failure
    settle()
  } finally {
    fs.closeSync(rejectsFd)
  }
  // A finished import leaves no checkpoint: running it again sends the file again (and finds duplicates).
  if (!interrupted && opts.stateFile && fs.existsSync(opts.stateFile)) fs.rmSync(opts.stateFile)
  progress()
  return { lines: totals.lines, accepted: totals.accepted, duplicates: totals.duplicates, rejected: totals.rejected, resumedAfterLine: state ? state.line : null, interrupted, elapsedMs: Date.now() - started }
}

/** Sends one batch until every event in it has an answer: accepted (or duplicate) or rejected. */
async function send(batch: Batch, opts: ImportOptions, doFetch: typeof fetch, maxAttempts: number): Promise<void> {
  let waiting = batch.events
  for (let attempt = 1; waiting.length; attempt++) {
    if (attempt > maxAttempts) throw new FatalImportError(`the gateway did not take lines ${waiting[0].line}–${waiting.at(-1)!.line} after ${maxAttempts} attempts; run the same command again to continue`)
    let res: Response
    try {
      res = await doFetch(`${opts.gatewayUrl}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.apiKey}` },
        body: JSON.stringify({ batch: waiting.map((e) => e.body) }),
      })
    } catch {
      await sleep(backoff(attempt))
      continue
    }
    if (res.status === 401 || res.status === 403) {
      const body = (await res.json().catch(() => ({}))) as { message?: string }
      throw new FatalImportError(`the gateway refused the API key (${res.status}): ${body.message ?? ''}`.trim())
    }
    if (res.status === 413 && waiting.length > 1) {
      // Too many bytes for one request: send the halves on their own.
      await res.body?.cancel()
      const half = Math.ceil(waiting.length / 2)
      const first = { ...batch, events: waiting.slice(0, half), rejects: [], accepted: 0, duplicates: 0 }
      const second = { ...batch, events: waiting.slice(half), rejects: [], accepted: 0, duplicates: 0 }
      await send(first, opts, doFetch, maxAttempts)
      await send(second, opts, doFetch, maxAttempts)
      for (const part of [first, second]) {
        batch.accepted += part.accepted
        batch.duplicates += part.duplicates
        batch.rejects.push(...part.rejects)
      }
      return
    }
    const retryAfter = Number(res.headers.get('retry-after')) * 1000 || backoff(attempt)
    const body = (await res.json().catch(() => null)) as { results?: any[]; message?: string; error?: string } | null
    if (!body?.results) {
      if (res.status === 429 || res.status >= 500) {
        await sleep(retryAfter)
        continue
      }
      throw new FatalImportError(`the gateway answered ${res.status} to a batch: ${body?.error ?? ''} ${body?.message ?? ''}`.trim())
    }
    const again: typeof waiting = []
    body.results.forEach((r, i) => {
      const e = waiting[i]
      if (r.status === 'accepted') {
        if (r.duplicate) batch.duplicates++
        else batch.accepted++
      } else if (r.status === 'rejected') {
        const violations = r.violations && e.columns ? withColumns(r.violations, e.columns) : r.violations
        batch.rejects.push({ line: e.line, messageId: r.messageId, event: typeof e.body.event === 'string' ? e.body.event : undefined, error: r.error, ...(r.message ? { message: r.message } : {}), ...(violations ? { violations } : {}) })
      } else {
        again.push(e)
      }
    })
    waiting = again
    if (waiting.length) await sleep(retryAfter)
  }
}

/** The gateway's violations of an event read from CSV, each with the column its path came from. */
function withColumns(violations: { path?: string }[], columns: Record<string, string>): unknown[] {
  return violations.map((v) => (v.path && columns[v.path] ? { column: columns[v.path], ...v } : v))
}

const backoff = (attempt: number) => Math.min(10_000, 250 * 2 ** Math.min(attempt, 6))

export { FatalImportError }
