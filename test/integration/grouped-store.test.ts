import type { KafkaMessage } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import type { DecodedEvent } from '../../processors/event-store.js'
import { groupedStore } from '../../processors/grouped-store.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { countingClient } from '../support/counting-client.js'
import { tempDir } from '../support/fixtures.js'

let offset = 0
const event = (account: string, typed?: string): DecodedEvent => {
  const id = `m${offset++}`
  return {
    message: { offset: String(offset), headers: {} } as unknown as KafkaMessage,
    row: { message_id: id, event: 'login', schema_id: 1, account_id: account, user_id: 'u', timestamp: '2026-12-01 10:00:00.000', received_at: '2026-12-01 10:00:01.000', source: 's', properties: '{}' },
    ...(typed ? { typed: { table: typed, row: { _message_id: id, _account_id: account } } } : {}),
  }
}
const batchOf = (account: string, n: number) => Array.from({ length: n }, () => event(account))
const stored = async (clickhouse: ReturnType<typeof createClickHouse>, account: string) =>
  Number((await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM events WHERE account_id = {a:String}', { a: account }))[0].n)

describe('group commit of the partitions’ batches (embedded ClickHouse)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  beforeAll(async () => {
    await migrate(clickhouse)
    // As an operator's CHECK would: ClickHouse refuses a whole insert for one row of this account.
    await clickhouse.command({ query: "ALTER TABLE events ADD CONSTRAINT no_refused CHECK account_id != 'refused'" })
    await clickhouse.command({ query: 'CREATE TABLE typed_probe (_message_id String, _account_id String) ENGINE = MergeTree ORDER BY _message_id' })
  })
  afterAll(() => clickhouse.close())

  it('inserts the batches handed over in the same turn once a table, and each batch resolves with its own events', async () => {
    const { client, inserts } = countingClient(clickhouse)
    const store = groupedStore(client)
    const batches = [batchOf('g1', 3), [...batchOf('g2', 2), event('g2', 'typed_probe')], batchOf('g3', 4)]
    const results = await Promise.all(batches.map((b, partition) => store(b, { topic: 'events', partition })))
    expect(inserts).toEqual(['typed_probe', 'events'])
    results.forEach((r, i) => expect(r).toEqual({ stored: batches[i], refused: [] }))
    expect([await stored(clickhouse, 'g1'), await stored(clickhouse, 'g2'), await stored(clickhouse, 'g3')]).toEqual([3, 3, 4])
  })

  it('groups the batches handed over while an insert runs into the next one', async () => {
    const { client, inserts } = countingClient(clickhouse)
    const store = groupedStore(client)
    const first = store(batchOf('w1', 2), { topic: 'events', partition: 0 })
    // The first insert has begun (one macrotask after it was handed over); these two wait for it to end.
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(inserts).toEqual(['events'])
    await Promise.all([first, store(batchOf('w2', 2), { topic: 'events', partition: 1 }), store(batchOf('w3', 2), { topic: 'events', partition: 2 })])
    expect(inserts).toEqual(['events', 'events'])
    expect([await stored(clickhouse, 'w2'), await stored(clickhouse, 'w3')]).toEqual([2, 2])
  })

  it('when ClickHouse refuses a row, stores each batch of the group alone: only that batch has a refused record, and its other rows are kept', async () => {
    const store = groupedStore(clickhouse)
    const bad = [event('r1'), event('refused'), event('r1')]
    const [good1, refusedBatch, good2] = await Promise.all([
      store(batchOf('r0', 2), { topic: 'events', partition: 0 }),
      store(bad, { topic: 'events', partition: 1 }),
      store(batchOf('r2', 2), { topic: 'events', partition: 2 }),
    ])
    expect(good1.refused).toEqual([])
    expect(good2.refused).toEqual([])
    expect(refusedBatch.stored).toEqual([bad[0], bad[2]])
    expect(refusedBatch.refused.map((r) => r.event)).toEqual([bad[1]])
    expect(refusedBatch.refused[0].error).toMatchObject({ type: 'VIOLATED_CONSTRAINT' })
    expect([await stored(clickhouse, 'r0'), await stored(clickhouse, 'r1'), await stored(clickhouse, 'refused'), await stored(clickhouse, 'r2')]).toEqual([2, 2, 0, 2])
  })

  it('a failure that passes with time (a table away) rejects every batch of the group, so each partition pauses and retries', async () => {
    const store = groupedStore(clickhouse)
    const outcomes = await Promise.allSettled([
      store(batchOf('a1', 1), { topic: 'events', partition: 0 }),
      store([event('a2', 'typed_away')], { topic: 'events', partition: 1 }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ type: 'UNKNOWN_TABLE' })
    expect(await stored(clickhouse, 'a1')).toBe(0)
  })
})
