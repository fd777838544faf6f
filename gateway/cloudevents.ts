import type { TrackedEvent } from './track-request.js'

/**
 * The envelope as CloudEvents Kafka protocol binding headers (binary content mode): the Avro payload stays
 * the record value and every attribute becomes a `ce_` header. accountid and userid are extension attributes.
 */
export function cloudEventHeaders(e: TrackedEvent, p: { source: string; schemaId: number }): Record<string, string> {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: e.messageId,
    ce_type: e.event,
    ce_source: p.source,
    ce_time: e.timestamp,
    ce_dataschema: `/schemas/ids/${p.schemaId}`,
    'content-type': 'application/vnd.apache.avro+binary',
    ce_accountid: e.accountId,
  }
  if (e.userId !== undefined) headers.ce_userid = e.userId
  return headers
}
