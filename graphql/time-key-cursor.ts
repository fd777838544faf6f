/**
 * Opaque cursors of lists ordered by a time and a key (tasks by due date, alerts by firing time): the
 * position of the last row of a page, base64url so clients treat it as a token.
 */
export class TimeKeyCursorError extends Error {}

export function encodeTimeKeyCursor(list: string, time: number, key: string): string {
  return Buffer.from(JSON.stringify([list, time, key])).toString('base64url')
}

export function decodeTimeKeyCursor(list: string, text: string): { time: number; key: string } {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    parts = null
  }
  if (!Array.isArray(parts) || parts.length !== 3 || parts[0] !== list || typeof parts[1] !== 'number' || typeof parts[2] !== 'string') {
    throw new TimeKeyCursorError(`after: "${text}" is not a cursor of the ${list} list; use the endCursor of a previous ${list} page`)
  }
  return { time: parts[1], key: parts[2] }
}
