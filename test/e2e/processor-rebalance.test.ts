import type { ChildProcess } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { eventually, tempDir } from '../support/fixtures.js'
import { exited, startSplitPlatform } from '../support/split-platform.js'

// Two processor instances in one consumer group, each a process with its own embedded chDB store (chDB is
// one directory per process); the union of the two stores is what a shared ClickHouse server would hold.
describe('two processor instances share the partitions through rebalances', () => {
  let split: Awaited<ReturnType<typeof startSplitPlatform>> | undefined
  const children: ChildProcess[] = []
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    await split?.stop()
  })

  it('stores every accepted event once across both instances', async () => {
    split = await startSplitPlatform('rebalance-secret')
    const dirs = [tempDir(), tempDir()]
    const event = (i: number) => ({ event: 'user_login', accountId: `acct_${i % 30}`, properties: { method: 'SSO' } })

    // One instance starts alone; a second joins while events flow (rebalance); then the first leaves (rebalance).
    const first = split.startProcessor(dirs[0])
    children.push(first)
    await split.send(2000, event)
    await eventually('the first instance under way', async () => ((await split!.committed()) > 0 ? true : undefined), 120_000)
    const second = split.startProcessor(dirs[1])
    children.push(second)
    await split.send(3000, event)
    first.kill('SIGTERM')
    expect(await exited(first)).toBe(0)
    await split.send(2000, event)
    expect(split.accepted.length).toBe(7000)
    await eventually('every event committed', async () => ((await split!.committed()) >= 7000 ? true : undefined), 120_000)
    second.kill('SIGTERM')
    expect(await exited(second)).toBe(0)
    const accepted = split.accepted
    await split.stop()
    split = undefined

    const perStore: string[][] = []
    for (const dir of dirs) {
      const clickhouse = createClickHouse({ dataDir: dir })
      try {
        const rs = await clickhouse.query({ query: 'SELECT message_id FROM events FINAL', format: 'JSONEachRow' })
        perStore.push((await rs.json<{ message_id: string }>()).map((r) => r.message_id))
      } finally {
        await clickhouse.close()
      }
    }
    const all = perStore.flat()
    expect(perStore[0].length).toBeGreaterThan(0)
    expect(perStore[1].length).toBeGreaterThan(0)
    expect(all.length).toBe(new Set(all).size) // nothing stored twice, not even across instances
    expect(new Set(all)).toEqual(new Set(accepted)) // nothing lost
  }, 300_000)
})
