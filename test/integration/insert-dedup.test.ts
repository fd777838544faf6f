import { afterAll, describe, expect, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir } from '../support/fixtures.js'

describe('events insert deduplication on embedded ClickHouse', () => {
  const client = createClickHouse({ dataDir: tempDir() })
  afterAll(() => client.close())

  it('drops a batch inserted again with the same token, keeps one with another token', async () => {
    await migrate(client)
    const row = (id: string) => ({ message_id: id, event: 'feature_used', schema_id: 1, account_id: 'a', user_id: null, timestamp: '2026-11-22 10:00:00.000', received_at: '2026-11-22 10:00:01.000', source: 's', properties: '{}' })
    const insert = (token: string, ids: string[]) =>
      client.insert({ table: 'events', values: ids.map(row), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } })
    await insert('t/0/0-1', ['m1', 'm2'])
    await insert('t/0/0-1', ['m1', 'm2'])
    await insert('t/0/2-2', ['m3'])
    // Raw rows, no FINAL: the replayed block never landed.
    const rs = await client.query({ query: 'SELECT message_id FROM events ORDER BY message_id', format: 'JSONEachRow' })
    expect((await rs.json<{ message_id: string }>()).map((r) => r.message_id)).toEqual(['m1', 'm2', 'm3'])
  })
})
