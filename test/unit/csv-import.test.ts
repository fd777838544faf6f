import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CsvSource, readCsvHeader } from '../../cli/import/csv-source.js'
import { eventFields } from '../../cli/import/field-types.js'
import { importEvents, type ImportOptions } from '../../cli/import/importer.js'
import { mappingFingerprint, MappingError, readMappingFile } from '../../cli/import/mapping-file.js'
import type { FieldsLookup } from '../../cli/import/registry-fields.js'
import { CATALOG_DIR } from '../../schemas/index.js'
import { tempDir } from '../support/fixtures.js'

/** The catalog as the registry would serve it. */
const catalogFields: FieldsLookup = async (event) => {
  const file = path.join(CATALOG_DIR, `${event}.avsc`)
  return fs.existsSync(file) ? eventFields(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined
}

/**
 * A gateway as /v1/batch answers: it remembers accepted messageIds (later copies are duplicates) and
 * rejects a login whose method is OTHER, as a schema violation would be reported.
 */
function fakeGateway() {
  const stored = new Map<string, Record<string, unknown>>()
  const requests: Record<string, unknown>[][] = []
  const fetch: typeof globalThis.fetch = (async (_url: string, init: RequestInit) => {
    const { batch } = JSON.parse(String(init.body)) as { batch: Record<string, any>[] }
    requests.push(batch)
    const results = batch.map((e) => {
      if (e.properties?.method === 'OTHER') {
        return { status: 'rejected', messageId: e.messageId, error: 'schema_violation', violations: [{ path: 'properties.method', kind: 'type_mismatch', expected: 'not OTHER', actual: 'string "OTHER"', message: 'properties.method: OTHER is refused here' }] }
      }
      const duplicate = stored.has(e.messageId)
      if (!duplicate) stored.set(e.messageId, e)
      return { status: 'accepted', messageId: e.messageId, ...(duplicate ? { duplicate: true } : {}) }
    })
    return new Response(JSON.stringify({ results }), { status: 200, headers: { 'content-type': 'application/json' } })
  }) as unknown as typeof globalThis.fetch
  return { stored, requests, fetch }
}

const MAPPING = `# how our export's rows become events
event: event
accountId: account
userId: user
timestamp: at
properties:
  method: { column: method, values: { sso: SSO } }
  mfa: mfa
events:
  feature_used:
    properties:
      feature: feature
      durationMs: duration_ms
`

// Line 4 holds a quoted feature name over two lines (lines 4-5); line 7 is blank; line 8 has a bad cell; line 9
// a row with a field too few; line 10 a row the gateway refuses; CRLF line ends throughout.
const CSV = [
  'event,account,user,at,method,mfa,feature,duration_ms,note',
  'user_login,acct_1,u_1,2026-03-01T10:00:00Z,SSO,true,,,',
  'user_login,acct_1,u_2,1772359200,sso,no,,,"hello, world"',
  'feature_used,acct_1,u_1,1772359200000,,,"reports.export',
  'v2",1500,',
  'feature_used,acct_2,u_3,2026-03-01 12:00:00+01:00,,,dashboards.share,,',
  '',
  'feature_used,acct_2,u_3,2026-03-01T12:00:00Z,,,dashboards.share,abc,',
  'user_login,acct_2,u_4,2026-03-01T12:00:00Z,SSO,true,,',
  'user_login,acct_2,u_5,2026-03-01T12:00:00Z,OTHER,false,,,',
  'user_login,acct_3,u_6,2026-03-02T12:00:00Z,PASSWORD,false,,,',
].join('\r\n') + '\r\n'

function setup(csv = CSV, mapping = MAPPING) {
  const dir = tempDir('pulse-csv-import-')
  const file = path.join(dir, 'history.csv')
  fs.writeFileSync(file, csv)
  fs.writeFileSync(path.join(dir, 'mapping.yaml'), mapping)
  return { dir, file, rejectsFile: path.join(dir, 'history.rejects.ndjson'), stateFile: path.join(dir, 'history.import-state.json'), mappingFile: path.join(dir, 'mapping.yaml') }
}

async function csvSource(file: string, mappingFile: string, opts: { strict?: boolean; fields?: FieldsLookup } = {}) {
  const { mapping, where } = readMappingFile(mappingFile)
  const ignored: string[][] = []
  const source = new CsvSource({ mapping, where, inputLabel: file, fields: opts.fields ?? catalogFields, strict: opts.strict, fingerprint: mappingFingerprint(mapping, Boolean(opts.strict)), onHeader: (h) => ignored.push(h.ignored) })
  const header = await readCsvHeader(file, mapping.delimiter)
  await source.prepare(header.fields, header.line)
  return { source, ignored }
}

const rejectsOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))

describe('pulse import of a CSV file', () => {
  it('sends each row as an envelope and lists rejected rows by the physical line they start on', async () => {
    const t = setup()
    const gw = fakeGateway()
    const { source, ignored } = await csvSource(t.file, t.mappingFile)
    expect(ignored).toEqual([['note']])
    const opts: ImportOptions = { input: t.file, source, gatewayUrl: 'http://gw', apiKey: 'k', batchSize: 2, concurrency: 2, rejectsFile: t.rejectsFile, stateFile: t.stateFile, fetch: gw.fetch }
    const summary = await importEvents(opts)
    expect(summary).toMatchObject({ lines: 11, accepted: 5, duplicates: 0, rejected: 3, resumedAfterLine: null, interrupted: false })
    const rejects = rejectsOf(t.rejectsFile)
    expect(rejects.map((r) => [r.line, r.error])).toEqual([
      [8, 'invalid_cell'],
      [9, 'invalid_csv'],
      [10, 'schema_violation'],
    ])
    expect(rejects[0]).toMatchObject({
      event: 'feature_used',
      message: 'column "duration_ms" (properties.durationMs): expected a long: a whole number from -9007199254740991 to 9007199254740991 (beyond that JSON numbers are not exact), got "abc"',
      violations: [{ column: 'duration_ms', path: 'properties.durationMs', actual: '"abc"' }],
    })
    expect(rejects[0].messageId).toMatch(/^[0-9a-f-]{36}$/)
    expect(rejects[1]).toEqual({ line: 9, error: 'invalid_csv', message: 'the row has 8 fields, the header 9' })
    // The gateway's violations name the column the property came from.
    expect(rejects[2].violations).toEqual([{ column: 'method', path: 'properties.method', kind: 'type_mismatch', expected: 'not OTHER', actual: 'string "OTHER"', message: 'properties.method: OTHER is refused here' }])

    const sent = [...gw.stored.values()]
    expect(sent.map((e) => [e.event, e.userId, e.timestamp, e.properties])).toEqual([
      ['user_login', 'u_1', '2026-03-01T10:00:00.000Z', { method: 'SSO', mfa: true }],
      ['user_login', 'u_2', '2026-03-01T10:00:00.000Z', { method: 'SSO', mfa: false }],
      ['feature_used', 'u_1', '2026-03-01T10:00:00.000Z', { feature: 'reports.export\r\nv2', durationMs: 1500 }],
      ['feature_used', 'u_3', '2026-03-01T11:00:00.000Z', { feature: 'dashboards.share', durationMs: null }],
      ['user_login', 'u_6', '2026-03-02T12:00:00.000Z', { method: 'PASSWORD', mfa: false }],
    ])
    expect(fs.existsSync(t.stateFile)).toBe(false)

    // Importing the same file again sends the same (derived) ids: everything is a duplicate.
    const again = await importEvents({ ...opts, source: (await csvSource(t.file, t.mappingFile)).source })
    expect(again).toMatchObject({ accepted: 0, duplicates: 5, rejected: 3 })
    expect(gw.stored.size).toBe(5)
  })

  it('continues an interrupted import after its checkpoint, without losing or repeating a row', async () => {
    const t = setup()
    const gw = fakeGateway()
    const abort = new AbortController()
    const counting = (async (url: string, init: RequestInit) => {
      const res = await gw.fetch(url, init)
      abort.abort() // stop after the first batch
      return res
    }) as unknown as typeof fetch
    const opts = { input: t.file, gatewayUrl: 'http://gw', apiKey: 'k', batchSize: 2, concurrency: 1, rejectsFile: t.rejectsFile, stateFile: t.stateFile }
    const first = await importEvents({ ...opts, source: (await csvSource(t.file, t.mappingFile)).source, fetch: counting, signal: abort.signal })
    expect(first.interrupted).toBe(true)
    const checkpoint = JSON.parse(fs.readFileSync(t.stateFile, 'utf8'))
    expect(checkpoint).toMatchObject({ line: 3, accepted: 2, source: expect.stringMatching(/^csv:/) })

    const rest = await importEvents({ ...opts, source: (await csvSource(t.file, t.mappingFile)).source, fetch: gw.fetch })
    expect(rest).toMatchObject({ resumedAfterLine: 3, lines: 11, accepted: 5, duplicates: 0, rejected: 3 })
    expect(rejectsOf(t.rejectsFile).map((r) => r.line)).toEqual([8, 9, 10])
    expect(gw.requests.flat().filter((e) => e.event === 'user_login' && e.userId === 'u_1')).toHaveLength(1)
  })

  it('refuses to continue a checkpoint with another mapping', async () => {
    const t = setup()
    const gw = fakeGateway()
    const abort = new AbortController()
    abort.abort()
    const opts = { input: t.file, gatewayUrl: 'http://gw', apiKey: 'k', batchSize: 2, rejectsFile: t.rejectsFile, stateFile: t.stateFile, fetch: gw.fetch }
    // A checkpoint as an interrupted run leaves it.
    const { source } = await csvSource(t.file, t.mappingFile)
    const stat = fs.statSync(t.file)
    fs.writeFileSync(t.stateFile, JSON.stringify({ input: { path: fs.realpathSync(t.file), size: stat.size, mtimeMs: stat.mtimeMs }, source: source.fingerprint, byteOffset: 0, line: 0, accepted: 0, duplicates: 0, rejected: 0, rejectsBytes: 0 }))
    fs.writeFileSync(t.rejectsFile, '')
    fs.writeFileSync(t.mappingFile, MAPPING.replace('mfa: mfa', 'mfa: { column: mfa }\n  method: { value: SSO }').replace('  method: { column: method, values: { sso: SSO } }\n', ''))
    const other = await csvSource(t.file, t.mappingFile)
    await expect(importEvents({ ...opts, source: other.source })).rejects.toThrow(/was made with another mapping .*pass --restart/)
    await expect(importEvents({ ...opts })).rejects.toThrow(/was made with another mapping/)
    expect(gw.requests).toEqual([])
  })

  it('checks the mapping against the header and the schemas before anything is sent, naming file, line and key', async () => {
    const t = setup(CSV, MAPPING.replace('feature: feature', 'feature: feature_name').replace('durationMs: duration_ms', 'duration: duration_ms'))
    const err = await csvSource(t.file, t.mappingFile).catch((e) => e)
    expect(err).toBeInstanceOf(MappingError)
    expect((err as MappingError).problems).toEqual([
      `${path.relative(process.cwd(), t.mappingFile)}:12: events.feature_used.properties.feature: names column "feature_name", which the header does not have; its columns are "event", "account", "user", "at", "method", "mfa", "feature", "duration_ms", "note"`,
      `${path.relative(process.cwd(), t.mappingFile)}:13: events.feature_used.properties.duration: event "feature_used" declares no property duration; its properties are feature, durationMs`,
    ])
    const unknown = setup(CSV, MAPPING.replace('feature_used:', 'feature_usage:'))
    expect(((await csvSource(unknown.file, unknown.mappingFile).catch((e) => e)) as MappingError).problems).toEqual([
      `${path.relative(process.cwd(), unknown.mappingFile)}:11: events.feature_usage: no schema is registered for event "feature_usage"`,
    ])
    const undeclared = setup(CSV, MAPPING.replace('durationMs: duration_ms', 'duration: duration_ms'))
    expect(((await csvSource(undeclared.file, undeclared.mappingFile).catch((e) => e)) as MappingError).problems).toEqual([
      `${path.relative(process.cwd(), undeclared.mappingFile)}:13: events.feature_used.properties.duration: event "feature_used" declares no property duration; its properties are feature, durationMs`,
    ])
    // Problems with the header and with the schemas are listed together.
    const both = setup(CSV, MAPPING.replace('accountId: account', 'accountId: acct').replace('durationMs: duration_ms', 'duration: duration_ms'))
    expect(((await csvSource(both.file, both.mappingFile).catch((e) => e)) as MappingError).problems.map((p) => p.replace(/^.*?mapping\.yaml:/, ''))).toEqual([
      '3: accountId: names column "acct", which the header does not have; its columns are "event", "account", "user", "at", "method", "mfa", "feature", "duration_ms", "note"',
      '13: events.feature_used.properties.duration: event "feature_used" declares no property duration; its properties are feature, durationMs',
    ])
    const strict = setup()
    expect(((await csvSource(strict.file, strict.mappingFile, { strict: true }).catch((e) => e)) as MappingError).problems).toEqual([
      `${strict.file}:1 (the header): --strict: the mapping reads no column "note"; map it or leave out --strict to ignore it`,
    ])
    expect(() => readMappingFile(strict.file.replace('history.csv', 'missing.yaml'))).toThrow(/cannot read the mapping/)
    fs.writeFileSync(strict.mappingFile, 'event: [unclosed\n')
    expect(() => readMappingFile(strict.mappingFile)).toThrow(MappingError)
  })

  it('from standard input, binds the mapping when the header arrives, and refuses an input without one', async () => {
    const t = setup()
    const { mapping, where } = readMappingFile(t.mappingFile)
    const items = async (text: string) => {
      const source = new CsvSource({ mapping, where, inputLabel: 'standard input', fields: catalogFields })
      const out = []
      for await (const item of source.items(Readable.from([Buffer.from(text)]), { offset: 0, line: 0 })) out.push(item)
      return out
    }
    const read = await items(CSV)
    expect(read.map((i) => [i.line, i.lastLine, i.event ? 'event' : i.reject ? i.reject.error : '-'])).toEqual([
      [1, 1, '-'],
      [2, 2, 'event'],
      [3, 3, 'event'],
      [4, 5, 'event'],
      [6, 6, 'event'],
      [7, 7, '-'],
      [8, 8, 'invalid_cell'],
      [9, 9, 'invalid_csv'],
      [10, 10, 'event'],
      [11, 11, 'event'],
    ])
    await expect(items('\n\n')).rejects.toThrow('standard input: the input is empty; a CSV import needs a header row naming the columns')
    await expect(items('event,"account\n')).rejects.toThrow('standard input:1 (the header): a quoted field opened on line 1 is never closed')
  })

  it('refuses a pinned schema version the registry does not have, naming the key', async () => {
    const t = setup(CSV, 'event: { value: user_login }\naccountId: account\ntimestamp: at\nschemaVersion: 7\nproperties: { method: method }\n')
    const pinnedMissing: FieldsLookup = async (event, version) => (version === undefined ? catalogFields(event) : undefined)
    const err = (await csvSource(t.file, t.mappingFile, { fields: pinnedMissing }).catch((e) => e)) as MappingError
    expect(err.problems.map((p) => p.replace(/^.*?mapping\.yaml:/, ''))).toEqual(['1: event.value: event "user_login" has no schema version 7 in the registry'])
  })

  it('refuses an empty file, and a header that breaks RFC 4180', async () => {
    const empty = setup('\r\n')
    await expect(readCsvHeader(empty.file, ',')).rejects.toThrow(/the file is empty; a CSV import needs a header row/)
    const bad = setup('event,"account\n')
    await expect(readCsvHeader(bad.file, ',')).rejects.toThrow(/:1 \(the header\): a quoted field opened on line 1 is never closed/)
  })

  it('reads a semicolon-separated export with a byte-order mark, events of one kind and epoch-millisecond times', async () => {
    const csv = '\ufeffaccount;ms;feature\n' + 'acct_1;1772359200000;"a;b"\n'
    const t = setup(csv, 'event: { value: feature_used }\naccountId: account\ntimestamp: { column: ms, format: epoch_millis }\ndelimiter: ";"\nproperties: { feature: feature }\n')
    const gw = fakeGateway()
    const { source } = await csvSource(t.file, t.mappingFile)
    const summary = await importEvents({ input: t.file, source, gatewayUrl: 'http://gw', apiKey: 'k', rejectsFile: t.rejectsFile, stateFile: t.stateFile, fetch: gw.fetch })
    expect(summary).toMatchObject({ lines: 2, accepted: 1, rejected: 0 })
    expect([...gw.stored.values()][0]).toMatchObject({ event: 'feature_used', accountId: 'acct_1', timestamp: '2026-03-01T10:00:00.000Z', properties: { feature: 'a;b' } })
  })
})
