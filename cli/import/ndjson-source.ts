/** Newline-delimited JSON envelopes, one per line, as `/v1/track` takes them and `pulse simulate` writes them. */
import type { ImportItem, ImportSource } from './import-source.js'

export const ndjsonSource: ImportSource = {
  async *items(stream, from) {
    for await (const line of linesOf(stream, from.offset, from.line)) {
      const item: ImportItem = { line: line.number, lastLine: line.number, end: line.end }
      const text = line.text.trim()
      if (text) {
        try {
          const body = JSON.parse(text)
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            item.reject = { error: 'invalid_envelope', message: `a line must hold one JSON object (an event envelope), got ${Array.isArray(body) ? 'an array' : typeof body}` }
          } else {
            item.event = { body }
          }
        } catch (err) {
          item.reject = { error: 'invalid_json', message: `not JSON: ${(err as Error).message}` }
        }
      }
      yield item
    }
  },
}

interface Line {
  number: number
  text: string
  /** Byte offset just after the line (and its newline). */
  end: number
}

/** Lines of a byte stream with their numbers and end offsets; '\r\n' endings are accepted. */
async function* linesOf(stream: AsyncIterable<Buffer>, startOffset: number, startLine: number): AsyncGenerator<Line> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  let offset = startOffset
  let number = startLine
  for await (const chunk of stream) {
    let from = 0
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, from)) {
      const part = chunk.subarray(from, i)
      const bytes = pendingBytes + part.length + 1
      const text = (pending.length ? Buffer.concat([...pending, part]) : part).toString('utf8')
      pending = []
      pendingBytes = 0
      offset += bytes
      yield { number: ++number, text: text.endsWith('\r') ? text.slice(0, -1) : text, end: offset }
      from = i + 1
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from))
      pendingBytes += chunk.length - from
    }
  }
  if (pendingBytes) {
    const text = Buffer.concat(pending).toString('utf8')
    yield { number: ++number, text: text.endsWith('\r') ? text.slice(0, -1) : text, end: offset + pendingBytes }
  }
}
