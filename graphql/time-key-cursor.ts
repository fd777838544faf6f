/**
 * Keyset pages of lists ordered by a time and a key (tasks by due date, alerts by firing time): opaque cursors
 * holding the position of a page's last row, base64url so clients treat them as tokens, and the page info.
 */
import { GraphQLError } from 'graphql'

export function encodeTimeKeyCursor(list: string, time: number, key: string): string {
  return Buffer.from(JSON.stringify([list, time, key])).toString('base64url')
}

/** The position `after` names in `list`, null without one; a cursor of another list or none at all is BAD_USER_INPUT. */
export function afterCursor(list: string, after: string | null): { time: number; key: string } | null {
  if (!after) return null
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'))
  } catch {
    parts = null
  }
  if (!Array.isArray(parts) || parts.length !== 3 || parts[0] !== list || typeof parts[1] !== 'number' || typeof parts[2] !== 'string') {
    throw new GraphQLError(`${list}: after: "${after}" is not a cursor of the ${list} list; use the endCursor of a previous ${list} page`, { extensions: { code: 'BAD_USER_INPUT' } })
  }
  return { time: parts[1], key: parts[2] }
}

/** Relay page info of a page read forward, `after` a cursor or not. */
export function forwardPageInfo(edges: { cursor: string }[], hasNextPage: boolean, afterGiven: boolean) {
  return { hasNextPage, hasPreviousPage: afterGiven, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null }
}
