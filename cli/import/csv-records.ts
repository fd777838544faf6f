/**
 * An RFC 4180 reader that knows where each record sits in the file: the physical line it starts on (the line
 * an editor shows, counting the line breaks inside quoted fields) and the byte offset just after it (where an
 * interrupted import resumes).
 *
 * Written here rather than taken from csv-parse, the npm parser that would otherwise fit: its `info.lines`
 * counts a CRLF inside a quoted field as two lines (checked on 7.0.3), so it cannot name the line a user
 * opens, and a malformed record ends its stream with an error where an import must reject that one record
 * and go on. Scanning bytes rather than characters is safe in UTF-8: the quote, the delimiter, CR and LF are
 * ASCII and never occur inside a multi-byte character, and it gives exact byte offsets for free.
 */

export interface CsvRecord {
  /** The physical line (1-based) the record starts on. */
  line: number
  /** The physical line it ends on; after `line` when a quoted field holds line breaks. */
  lastLine: number
  /** The fields, unquoted; empty for a blank line (which holds no record and is skipped by readers). */
  fields: string[]
  /** Byte offset just after the record and its line break. */
  end: number
  /** Why the record breaks RFC 4180, when it does; its fields are then only a best guess. */
  malformed?: string
}

export interface CsvReaderOptions {
  /** One ASCII character. @defaultValue ',' */
  delimiter?: string
  /** Byte offset of the first byte pushed, at a record boundary. @defaultValue 0 */
  offset?: number
  /** Physical line number of the first byte pushed. @defaultValue 1 */
  line?: number
  /**
   * A record longer than this is rejected rather than held in memory: usually a quote that is never closed,
   * which would otherwise swallow the rest of the file. @defaultValue 1 MiB
   */
  maxRecordBytes?: number
}

const QUOTE = 0x22
const CR = 0x0d
const LF = 0x0a

const enum State {
  /** At the start of a field. */
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: an escaped quote if another follows, else the field's end. */
  QuoteInQuoted,
  /** After a quoted field's closing quote (and possibly a CR): only a delimiter or a line break may follow. */
  AfterQuoted,
}

/** Pure: bytes in, records out, in any chunking; `end()` flushes the last record. */
export class CsvReader {
  private readonly delimiter: number
  private readonly maxRecordBytes: number
  private state = State.FieldStart
  private fields: string[] = []
  /** The current field's bytes from earlier chunks and this one, up to `maxRecordBytes` for the record. */
  private parts: Buffer[] = []
  private heldBytes = 0
  /** Bytes held for the whole record so far, its earlier fields included. */
  private recordBytes = 0
  /** Absolute offset of the next byte pushed. */
  private offset: number
  private line: number
  private recordLine: number
  private recordHasQuote = false
  private malformed: string | undefined
  /** The first bytes of the input until it is known whether they are a byte-order mark; null once known. */
  private bomCheck: Buffer | null

  constructor(opts: CsvReaderOptions = {}) {
    const d = opts.delimiter ?? ','
    if (d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\r' || d === '\n') {
      throw new Error(`the delimiter must be one ASCII character other than a quote or a line break, got ${JSON.stringify(d)}`)
    }
    this.delimiter = d.charCodeAt(0)
    this.maxRecordBytes = opts.maxRecordBytes ?? 1 << 20
    this.offset = opts.offset ?? 0
    this.line = opts.line ?? 1
    this.recordLine = this.line
    // Excel and many exporters start a UTF-8 file with a byte-order mark; it is no part of the first header.
    this.bomCheck = this.offset === 0 ? Buffer.alloc(0) : null
  }

  push(chunk: Buffer): CsvRecord[] {
    if (this.bomCheck) {
      const head = Buffer.concat([this.bomCheck, chunk])
      if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) {
        this.bomCheck = head
        return []
      }
      this.bomCheck = null
      if (head.subarray(0, BOM.length).equals(BOM)) {
        this.offset += BOM.length
        return this.scan(head.subarray(BOM.length))
      }
      return this.scan(head)
    }
    return this.scan(chunk)
  }

  /** The last record when the input does not end with a line break; an error record for a quote never closed. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = []
    if (this.bomCheck) {
      // Fewer bytes than a BOM in all, and each one a BOM's: a damaged file; read them as data.
      const head = this.bomCheck
      this.bomCheck = null
      out.push(...this.scan(head))
    }
    const state: State = this.state
    if (state === State.FieldStart && this.fields.length === 0) return out
    if (state === State.Quoted) this.malformed = `a quoted field opened on line ${this.recordLine} is never closed`
    this.endField(state === State.Unquoted || state === State.FieldStart)
    out.push(this.endRecord(this.offset))
    return out
  }

  private scan(chunk: Buffer): CsvRecord[] {
    const out: CsvRecord[] = []
    // Start of the current field's bytes in this chunk not yet held in `parts`.
    let from = 0
    const hold = (to: number) => {
      if (to <= from) return
      const room = this.maxRecordBytes - this.recordBytes
      if (room < to - from) this.malformed ??= `the record is longer than ${this.maxRecordBytes} bytes (a quote that is never closed?)`
      if (room <= 0) return
      const part = chunk.subarray(from, Math.min(to, from + room))
      this.parts.push(part)
      this.heldBytes += part.length
      this.recordBytes += part.length
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]
      switch (this.state) {
        case State.FieldStart:
          if (b === QUOTE) {
            this.state = State.Quoted
            this.recordHasQuote = true
            from = i + 1
            break
          }
          this.state = State.Unquoted
          from = i
        // falls through: the byte starts an unquoted field
        case State.Unquoted:
          if (b === this.delimiter) {
            hold(i)
            this.endField(true)
          } else if (b === LF) {
            hold(i)
            this.endField(true)
            out.push(this.endRecord(this.offset + i + 1))
          } else if (b === QUOTE) {
            this.recordHasQuote = true
            this.malformed ??= `a quote inside an unquoted field (field ${this.fields.length + 1}); quote the whole field and double the quotes inside it: "a ""b"" c"`
          }
          break
        case State.Quoted:
          if (b === QUOTE) {
            hold(i)
            this.state = State.QuoteInQuoted
          } else if (b === LF) this.line++
          break
        case State.QuoteInQuoted:
          if (b === QUOTE) {
            // An escaped quote: this second one is the field's character.
            from = i
            this.state = State.Quoted
            break
          }
          this.state = State.AfterQuoted
        // falls through: the byte follows the closing quote
        case State.AfterQuoted:
          if (b === this.delimiter) {
            this.endField(false)
          } else if (b === LF) {
            this.endField(false)
            out.push(this.endRecord(this.offset + i + 1))
          } else if (b !== CR) {
            this.malformed ??= `text after the closing quote of field ${this.fields.length + 1}; a quoted field must end at a delimiter or a line break`
            this.state = State.Unquoted
            from = i
          }
          break
      }
      // endField() moved to the next field: its bytes start after this one.
      if ((this.state as State) === State.FieldStart) from = i + 1
    }
    if (this.state === State.Unquoted || this.state === State.Quoted) hold(chunk.length)
    this.offset += chunk.length
    return out
  }

  private endField(unquoted: boolean) {
    const bytes = this.heldBytes === 0 ? undefined : this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)
    let value = bytes ? bytes.toString('utf8') : ''
    // Bytes that are not UTF-8 (a Latin-1 or UTF-16 export) decode to U+FFFD: refuse the record rather than
    // store the replacement characters, unless the file itself spelled U+FFFD.
    if (bytes && value.includes('\ufffd') && !bytes.includes(REPLACEMENT_CHARACTER)) {
      this.malformed ??= `field ${this.fields.length + 1} is not valid UTF-8; save the file as UTF-8 (in Excel: CSV UTF-8)`
    }
    // CRLF: the CR before a line break belongs to the break, not to an unquoted field.
    if (unquoted && value.endsWith('\r')) value = value.slice(0, -1)
    this.fields.push(value)
    this.parts = []
    this.heldBytes = 0
    this.state = State.FieldStart
  }

  private endRecord(end: number): CsvRecord {
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.recordHasQuote && !this.malformed
    const record: CsvRecord = { line: this.recordLine, lastLine: this.line, fields: blank ? [] : this.fields, end }
    if (this.malformed) record.malformed = this.malformed
    this.fields = []
    this.malformed = undefined
    this.recordHasQuote = false
    this.recordBytes = 0
    this.line++
    this.recordLine = this.line
    return record
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const REPLACEMENT_CHARACTER = Buffer.from('\ufffd')

/**
 * The records of a byte stream that starts at a record boundary (`offset`, `line`), the last one included
 * whether or not the input ends with a line break.
 */
export async function* csvRecords(stream: AsyncIterable<Buffer>, opts: CsvReaderOptions = {}): AsyncGenerator<CsvRecord> {
  const reader = new CsvReader(opts)
  for await (const chunk of stream) yield* reader.push(chunk)
  yield* reader.end()
}
