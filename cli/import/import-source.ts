/**
 * What the importer reads, whatever the input's format: items in file order, each an event to send, a
 * reject found without the gateway, or nothing (a blank line, a CSV header), with where it lies in the
 * input so that rejects name its line and a checkpoint can resume just after it.
 */

export interface ImportItem {
  /** The physical line the item starts on: rejects name it. */
  line: number
  /** The physical line it ends on (a CSV record may span lines): checkpoints name it. */
  lastLine: number
  /** Byte offset just after the item and its line break. */
  end: number
  event?: {
    body: Record<string, unknown>
    /** Path in the envelope (`properties.amountCents`) → the CSV column it came from, for the gateway's violations. */
    columns?: Record<string, string>
  }
  reject?: { messageId?: string; event?: string; error: string; message?: string; violations?: unknown[] }
}

export interface ImportSource {
  /** The items of `stream`, which starts at a boundary between items: `offset` bytes and `line` lines into the input. */
  items(stream: AsyncIterable<Buffer>, from: { offset: number; line: number }): AsyncIterable<ImportItem>
  /**
   * What besides the input a checkpoint must match to be continued (for CSV, the mapping): rows before and
   * after it would otherwise be read differently. Absent for NDJSON.
   */
  fingerprint?: string
}
