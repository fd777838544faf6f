/**
 * The checkpoint that lets an interrupted import continue: how far into the input every batch has been
 * answered (a byte offset at a line boundary, and the line number), the counts so far, and how long the
 * rejects file was then. Written atomically (temporary file + rename) after each batch that advances it.
 */
import fs from 'node:fs'

export interface ImportState {
  /** The input as it was: a different size or modification time means a different file. */
  input: { path: string; size: number; mtimeMs: number }
  /** How the input was read (the CSV mapping's fingerprint); absent for NDJSON. */
  source?: string
  byteOffset: number
  line: number
  accepted: number
  duplicates: number
  rejected: number
  rejectsBytes: number
}

export function readState(file: string): ImportState | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ImportState
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`the import checkpoint ${file} is unreadable (${(err as Error).message}); remove it to start over`)
  }
}

export function writeState(file: string, state: ImportState): void {
  const tmp = `${file}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(state))
  fs.renameSync(tmp, file)
}

/** Whether a checkpoint belongs to this input as it is now. */
export function sameInput(state: ImportState, input: ImportState['input']): boolean {
  return state.input.path === input.path && state.input.size === input.size && state.input.mtimeMs === input.mtimeMs
}
