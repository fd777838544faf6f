import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate } from '../../migrations/runner.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { ActionDispatcher, DISPATCH_GROUP } from '../../processors/playbooks/dispatch.js'
import { EpisodeStore } from '../../processors/playbooks/episode-store.js'
import type { PlannedAlert } from '../../processors/playbooks/planned-actions.js'
import { loadRules } from '../../processors/playbooks/rules-file.js'
import { loadScorecard } from '../../processors/scoring/scorecard-file.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { tempDir, uniqueName } from '../support/fixtures.js'
import { DAY, scored, T0 } from '../support/playbook-accounts.js'

const card = loadScorecard({ config: 'pulse' }).card
const { rules } = loadRules({ scorecard: card, config: 'default' })
const at = (days: number, score: number) => scored(card.tiers, score, { now: T0 + days * DAY })

describe('dispatching fired rules: alerts and tasks stored once by key, every queued action done once (real Redis and ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const redis = new Redis(inject('redisUrl'))
  const prefix = uniqueName('dispatch')
  const store = new EpisodeStore(redis, prefix)
  const told: PlannedAlert[] = []
  const dispatcher = (consumer: string) => new ActionDispatcher({ redis, stream: store.actionsStream, consumer, clickhouse, onAlert: async (a) => void told.push(a), claimIdleMs: 0 })
  beforeAll(() => migrate(clickhouse), 120_000)
  afterAll(async () => {
    redis.disconnect()
    await clickhouse.close()
  })

  it('stores what a score drop fired and tells each alert once; entries a dead dispatcher held are claimed and done once', async () => {
    const a = dispatcher('a')
    await a.init()
    await a.init() // idempotent
    await store.evaluate(rules, at(0, 70))
    const fired = await store.evaluate(rules, at(1, 35))
    const alertKeys = fired.filter((x) => x.type === 'alert').map((x) => x.key).sort()
    const taskKeys = fired.filter((x) => x.type === 'task').map((x) => x.key).sort()
    expect(alertKeys.length).toBeGreaterThanOrEqual(2) // below 60 and below 40 at least
    expect(taskKeys.length).toBeGreaterThan(0)
    expect(await a.runOnce(100)).toBe(fired.length)
    expect(told.map((t) => t.key).sort()).toEqual(alertKeys)

    // A dispatcher takes the next entries and dies before acknowledging them: another claims and does them.
    const recovered = await store.evaluate(rules, at(2, 90))
    expect(recovered.length).toBeGreaterThan(0)
    await redis.xreadgroup('GROUP', DISPATCH_GROUP, 'dead', 'COUNT', 100, 'STREAMS', store.actionsStream, '>')
    expect(((await redis.xpending(store.actionsStream, DISPATCH_GROUP)) as [number])[0]).toBe(recovered.length)
    expect(await dispatcher('b').runOnce(100)).toBe(recovered.length)
    expect(((await redis.xpending(store.actionsStream, DISPATCH_GROUP)) as [number])[0]).toBe(0)
    // Done twice by key (the claim after a dispatcher that stored but did not acknowledge): stored once.
    await (a as unknown as { store: (x: unknown[]) => Promise<void> }).store([...fired, ...recovered])

    const alerts = await queryRows<{ key: string; n: string }>(clickhouse, 'SELECT key, count() AS n FROM playbook_alerts FINAL GROUP BY key ORDER BY key')
    const expectedAlerts = [...alertKeys, ...recovered.filter((x) => x.type === 'alert').map((x) => x.key)].sort()
    expect(alerts.map((r) => r.key)).toEqual(expectedAlerts)
    expect(alerts.every((r) => Number(r.n) === 1)).toBe(true)
    const tasks = await queryRows<{ key: string; assignee: string | null; status: string }>(clickhouse, 'SELECT key, assignee, status FROM playbook_tasks FINAL ORDER BY key')
    expect(tasks.map((t) => t.key)).toEqual([...taskKeys, ...recovered.filter((x) => x.type === 'task').map((x) => x.key)].sort())
    expect(tasks.every((t) => t.status === 'open' && t.assignee === 'csm_ana')).toBe(true)
    expect(told.length).toBe(expectedAlerts.length)
  })
})
