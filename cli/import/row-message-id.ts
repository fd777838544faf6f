/**
 * Pure: the messageId of a CSV row that brings none, derived from the row itself so that importing the same
 * file again sends the same ids and the gateway answers them as duplicates.
 *
 * The id is a UUIDv5 (RFC 9562, SHA-1 in a namespace of Pulse's own) of the event name and every cell of the
 * row keyed by its column name: the order of the columns does not matter, and neither does the mapping, so
 * fixing or extending the mapping and importing again stores no row twice (rows stored the first time stay
 * as they were). The row's line number is no part of it: a re-sorted file gives the same ids. Two rows equal
 * in every column are one event; map a messageId column to keep such rows apart.
 */
import crypto from 'node:crypto'

/** Namespace of the ids `pulse import` derives for CSV rows. Never change it: every derived id would change. */
export const CSV_ROW_NAMESPACE = 'aad8c11e-f9b2-42dd-9b5b-a73f0fbcc3c4'

export function rowMessageId(event: string, header: string[], fields: string[]): string {
  const cells = header.map((name, i) => [name, fields[i] ?? ''] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return uuidV5(CSV_ROW_NAMESPACE, JSON.stringify([event, cells]))
}

/** RFC 9562 version 5: SHA-1 of the namespace's 16 bytes and the name's UTF-8, with version and variant set. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  const hash = crypto.createHash('sha1').update(ns).update(name, 'utf8').digest()
  hash[6] = (hash[6] & 0x0f) | 0x50
  hash[8] = (hash[8] & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
