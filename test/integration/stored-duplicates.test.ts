import type { KafkaMessage } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { VERIFY_HEADER } from '../../gateway/message-ids.js'
import { migrate } from '../../migrations/runner.js'
import type { DecodedEvent } from '../../processors/event-store.js'
import { storeEvents } from '../../processors/event-store.js'
import { dropStoredDuplicates, heldOutside, splitForVerification } from '../../processors/stored-duplicates.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

let offset = 0
const event = (account: string, id: string, marked: boolean): DecodedEvent => ({
  message: { offset: String(offset++), headers: marked ? { [VERIFY_HEADER]: '1' } : {} } as unknown as KafkaMessage,
  row: { message_id: id, event: 'login', schema_id: 1, account_id: account, user_id: 'u', timestamp: '2026-12-01 10:00:00.000', received_at: '2026-12-01 10:00:01.000', source: 's', properties: '{}' },
})
const ids = (events: DecodedEvent[]) => events.map((e) => `${e.row.account_id}/${e.row.message_id}`)

describe('verifying marked events against the store (embedded ClickHouse)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  afterAll(() => clickhouse.close())

  it('keeps vouched events apart in their order; a marked event held by a vouched one of its batch is not parked, one held by the store or an earlier marked copy is dropped', async () => {
    await migrate(clickhouse)
    await storeEvents(clickhouse, [event('a', 'stored', false)], { topic: 't', partition: 0 })
    const batch = [
      event('a', 'stored', true), // a real duplicate of a stored event
      event('b', 'stored', true), // the same id for another account: new
      event('a', 'later', true), // held by a vouched event later in the batch
      event('a', 'v1', false),
      event('a', 'later', false),
      event('c', 'twice', true), // new, then a marked copy of it
      event('c', 'twice', true),
      event('c', 'v2', false),
    ]
    const { vouched, marked } = splitForVerification(batch)
    expect(ids(vouched)).toEqual(['a/v1', 'a/later', 'c/v2'])
    expect(ids(marked)).toEqual(['a/stored', 'b/stored', 'a/later', 'c/twice', 'c/twice'])
    const parked = heldOutside(marked, vouched)
    expect(ids(parked)).toEqual(['a/stored', 'b/stored', 'c/twice', 'c/twice'])
    const { fresh, duplicates } = await dropStoredDuplicates(clickhouse, parked)
    expect(ids(fresh)).toEqual(['b/stored', 'c/twice'])
    expect(duplicates).toBe(2)
  })
})
