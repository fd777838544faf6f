import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CsvReader, csvRecords, type CsvReaderOptions, type CsvRecord } from '../../cli/import/csv-records.js'

/** Records of `text` pushed in chunks of `size` bytes (every split point is exercised by size 1). */
function read(text: string | Buffer, size = Infinity, opts: CsvReaderOptions = {}): CsvRecord[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  const reader = new CsvReader(opts)
  const out: CsvRecord[] = []
  for (let i = 0; i < bytes.length; i += Math.min(size, bytes.length)) out.push(...reader.push(bytes.subarray(i, i + size)))
  out.push(...reader.end())
  return out
}

const SAMPLE = 'event,account,note\r\nuser_login,acct_1,"said ""hi"", then\r\nleft"\r\n\r\nfeature_used,acct_2,é\n"last",acct_3,'

describe('CsvReader', () => {
  it('reads RFC 4180: quoted fields with delimiters, doubled quotes and line breaks, CRLF and LF, a last line without a break', () => {
    for (const size of [1, 2, 3, 7, Infinity]) {
      expect(read(SAMPLE, size).map((r) => r.fields)).toEqual([
        ['event', 'account', 'note'],
        ['user_login', 'acct_1', 'said "hi", then\r\nleft'],
        [],
        ['feature_used', 'acct_2', 'é'],
        ['last', 'acct_3', ''],
      ])
    }
  })

  it('numbers records by the physical line they start on, counting line breaks inside quoted fields', () => {
    expect(read(SAMPLE, 3).map((r) => [r.line, r.lastLine])).toEqual([
      [1, 1],
      [2, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ])
  })

  it('gives the byte offset after each record, so reading can resume there', () => {
    const bytes = Buffer.from(SAMPLE)
    const records = read(bytes, 5)
    expect(records.at(-1)!.end).toBe(bytes.length)
    const third = records[3]
    expect(bytes.subarray(records[2].end, third.end).toString()).toBe('feature_used,acct_2,é\n')
    // Resuming from a record boundary with its line number reads the same records from there on.
    const resumed = read(bytes.subarray(records[1].end), 4, { offset: records[1].end, line: records[1].lastLine + 1 })
    expect(resumed).toEqual(records.slice(2))
  })

  it('skips a UTF-8 byte-order mark at the start of the file, but counts its bytes', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,2\n')])
    for (const size of [1, 2, Infinity]) {
      const records = read(withBom, size)
      expect(records.map((r) => r.fields)).toEqual([['a', 'b'], ['1', '2']])
      expect(records.map((r) => r.end)).toEqual([7, 11])
    }
    // Not at the start of the input (resuming): the bytes are data.
    expect(read('\u00efa\n', 1, { offset: 10 })[0].fields).toEqual(['\u00efa'])
    expect(read('\u00ef', Infinity)[0].fields).toEqual(['\u00ef'])
  })

  it('keeps a CR inside a quoted field and a lone CR inside an unquoted one; a CR before LF ends the line', () => {
    expect(read('"a\rb",c\rd\r\n').map((r) => r.fields)).toEqual([['a\rb', 'c\rd']])
    expect(read('"a"\r\nb\r\n').map((r) => r.fields)).toEqual([['a'], ['b']])
  })

  it('reads empty fields, quoted empty fields, and a line holding only "" as a record', () => {
    expect(read(',,\n"",""\n""\n').map((r) => r.fields)).toEqual([['', '', ''], ['', ''], ['']])
  })

  it('takes another delimiter', () => {
    expect(read('a;"b;c"\n', Infinity, { delimiter: ';' })[0].fields).toEqual(['a', 'b;c'])
    expect(() => new CsvReader({ delimiter: '"' })).toThrow(/one ASCII character other than a quote/)
    expect(() => new CsvReader({ delimiter: ';;' })).toThrow(/one ASCII character/)
  })

  it('marks a record that breaks RFC 4180 and goes on with the next one', () => {
    const records = read('a,b"c\n"x"y,z\nok,1\n', 2)
    expect(records.map((r) => [r.line, r.malformed ?? null])).toEqual([
      [1, 'a quote inside an unquoted field (field 2); quote the whole field and double the quotes inside it: "a ""b"" c"'],
      [2, 'text after the closing quote of field 1; a quoted field must end at a delimiter or a line break'],
      [3, null],
    ])
    expect(records[2].fields).toEqual(['ok', '1'])
  })

  it('reports a quote never closed once, at the line it opened, with the rest of the file as its record', () => {
    const records = read('a,b\n1,"open\n2,3\n4,5\n')
    expect(records).toHaveLength(2)
    expect(records[1]).toMatchObject({ line: 2, lastLine: 5, malformed: 'a quoted field opened on line 2 is never closed' })
  })

  it('holds at most maxRecordBytes of a record in memory and rejects a longer one', () => {
    const records = read(`a,"${'x'.repeat(100)}"\n1,2\n`, 16, { maxRecordBytes: 32 })
    expect(records[0].malformed).toBe('the record is longer than 32 bytes (a quote that is never closed?)')
    expect(records[0].fields[0].length + records[0].fields[1].length).toBeLessThanOrEqual(32)
    expect(records[1].fields).toEqual(['1', '2'])
    // A quote never closed says so, rather than only that the record grew too long.
    expect(read(`a,"${'x'.repeat(100)}\n1,2\n`, 16, { maxRecordBytes: 32 })[0].malformed).toBe('a quoted field opened on line 1 is never closed')
    const ok = read(`a,"${'x'.repeat(20)}"\n`, 16, { maxRecordBytes: 32 })
    expect(ok[0].malformed).toBeUndefined()
  })

  it('refuses a record that is not UTF-8 (a Latin-1 export), but not one spelling U+FFFD itself', () => {
    const latin1 = Buffer.concat([Buffer.from('a,caf'), Buffer.from([0xe9]), Buffer.from('\nb,ok\n')])
    const records = read(latin1)
    expect(records[0].malformed).toBe('field 2 is not valid UTF-8; save the file as UTF-8 (in Excel: CSV UTF-8)')
    expect(records[1].malformed).toBeUndefined()
    expect(read('a,\ufffd\n')[0]).toMatchObject({ fields: ['a', '\ufffd'] })
    expect(read('a,\ufffd\n')[0].malformed).toBeUndefined()
  })

  it('reads nothing from an empty input, and a single empty line as a blank', () => {
    expect(read('')).toEqual([])
    expect(read('\n')).toEqual([{ line: 1, lastLine: 1, fields: [], end: 1 }])
  })
})

describe('csvRecords', () => {
  it('reads a stream of chunks', async () => {
    const chunks = [Buffer.from('a,"b\n'), Buffer.from('c"\n1,2')]
    const records: CsvRecord[] = []
    for await (const r of csvRecords(Readable.from(chunks))) records.push(r)
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b\nc']],
      [3, ['1', '2']],
    ])
  })
})
