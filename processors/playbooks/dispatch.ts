import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import { chTime } from '../clickhouse-time.js'
import type { PlannedAction, PlannedAlert, PlannedTask } from './planned-actions.js'
import { openedTask } from './task-changes.js'
import { storeTasks } from './task-store.js'

export const DISPATCH_GROUP = 'dispatch'

/**
 * Takes what fired rules queued on the actions stream (EpisodeStore) and makes it happen: alerts and tasks
 * stored in ClickHouse by key, each alert handed to `onAlert` (the `alertFired` subscription, webhook and
 * Slack deliveries). A Redis consumer group gives each entry to one dispatcher and keeps it pending until
 * acknowledged, so a dispatcher that dies mid-batch leaves its entries to be claimed by another after
 * `claimIdleMs`; the writes are by key, so doing an entry twice stores it once.
 */
export class ActionDispatcher {
  constructor(
    private readonly deps: {
      redis: Redis
      stream: string
      consumer: string
      clickhouse: ClickHouseClient
      onAlert: (alert: PlannedAlert) => Promise<void>
      /** Told of each task once stored (the `taskCreated` subscription). */
      onTask?: (task: PlannedTask) => Promise<void>
      claimIdleMs?: number
      now?: () => number
    },
  ) {}

  /** Creates the consumer group (from the stream's start) if it is not there yet. */
  async init(): Promise<void> {
    try {
      await this.deps.redis.xgroup('CREATE', this.deps.stream, DISPATCH_GROUP, '0', 'MKSTREAM')
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err
    }
  }

  /**
   * One round: entries other dispatchers left pending too long, then new ones (waiting up to `blockMs` for
   * them). Returns how many actions were done.
   */
  async runOnce(blockMs = 1000, count = 200): Promise<number> {
    const { redis, stream, consumer } = this.deps
    const claimed = (await redis.xautoclaim(stream, DISPATCH_GROUP, consumer, this.deps.claimIdleMs ?? 60_000, '0-0', 'COUNT', count)) as [string, [string, string[]][]]
    const fresh = (await redis.xreadgroup('GROUP', DISPATCH_GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null
    const entries = [...(claimed?.[1] ?? []), ...(fresh?.[0]?.[1] ?? [])].filter(([, fields]) => fields)
    if (!entries.length) return 0
    const actions = entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('action') + 1]) as PlannedAction)
    await this.store(actions)
    for (const a of actions) {
      if (a.type === 'alert') await this.deps.onAlert(a)
      else await this.deps.onTask?.(a)
    }
    await redis.xack(stream, DISPATCH_GROUP, ...entries.map(([id]) => id))
    return actions.length
  }

  private async store(actions: PlannedAction[]): Promise<void> {
    const alerts = actions.filter((a): a is PlannedAlert => a.type === 'alert')
    const tasks = actions.filter((a): a is PlannedTask => a.type === 'task')
    const time = (ms: number) => chTime(new Date(ms))
    if (alerts.length) {
      await this.deps.clickhouse.insert({
        table: 'playbook_alerts',
        format: 'JSONEachRow',
        values: alerts.map((a) => ({
          key: a.key, rule_id: a.ruleId, rule_name: a.ruleName,
          account_id: a.target.type === 'account' ? a.target.accountId : '', subject: a.target.type === 'schema' ? a.target.subject : '',
          severity: a.severity, title: a.title, why: a.why, recipient: a.to, recipient_role: a.toRole, channels: a.channels, fired_at: time(a.firedAt),
        })),
      })
    }
    // A task as first planned: its later changes carry a later updated_at and win the merge.
    if (tasks.length) await storeTasks(this.deps.clickhouse, tasks.map(openedTask))
  }
}
