import type { ChildProcess } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { eventually, tempDir } from '../support/fixtures.js'
import { exited, startSplitPlatform } from '../support/split-platform.js'

describe('the processor is killed with SIGKILL in the middle of its work', () => {
  let split: Awaited<ReturnType<typeof startSplitPlatform>> | undefined
  let child: ChildProcess | undefined
  afterAll(async () => {
    child?.kill('SIGKILL')
    await split?.stop()
  })

  it('loses and doubles nothing: after a restart the rows equal the accepted events exactly', async () => {
    split = await startSplitPlatform('crash-secret')
    const processorDir = tempDir()
    const event = (i: number) => ({ event: 'feature_used', accountId: `acct_${i % 20}`, properties: { feature: `f${i % 5}` } })
    await split.send(6000, event)

    // Kill it once it has committed some, but not all, of the events: mid-stream, likely mid-batch.
    child = split.startProcessor(processorDir, 'processor,scoring')
    const sendMore = split.send(4000, event)
    await eventually('the processor under way', async () => ((await split!.committed()) > 0 ? true : undefined), 120_000)
    child.kill('SIGKILL')
    await exited(child)
    await sendMore
    expect(split.accepted.length).toBe(10_000)
    expect(await split.committed()).toBeLessThan(10_000)

    child = split.startProcessor(processorDir, 'processor,scoring')
    await eventually('every event committed after the restart', async () => ((await split!.committed()) >= 10_000 ? true : undefined), 120_000)
    child.kill('SIGTERM')
    expect(await exited(child)).toBe(0)
    child = undefined
    const accepted = split.accepted
    // The processor's data directory, opened now that no process holds it (chDB: one directory per process).
    await split.stop()
    split = undefined
    const clickhouse = createClickHouse({ dataDir: processorDir })
    try {
      const rs = await clickhouse.query({ query: 'SELECT count() AS n, uniqExact(message_id) AS u FROM events FINAL', format: 'JSONEachRow' })
      expect((await rs.json<{ n: string; u: string }>())[0]).toMatchObject({ n: 10_000, u: 10_000 })
      const ids = await clickhouse.query({ query: 'SELECT message_id FROM events FINAL', format: 'JSONEachRow' })
      const stored = new Set((await ids.json<{ message_id: string }>()).map((r) => r.message_id))
      expect(accepted.filter((id) => !stored.has(id))).toEqual([])
    } finally {
      await clickhouse.close()
    }
  }, 300_000)
})
