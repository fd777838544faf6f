/** Alerts as the dispatcher stored them (`playbook_alerts`, one row per key): the newest first, a page at a time. */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import { chTime, fromChTime as ms } from '../clickhouse-time.js'
import type { Severity } from './rules.js'

export interface StoredAlert {
  key: string
  ruleId: string
  ruleName: string
  /** Empty for a schema (drift) alert. */
  accountId: string
  /** Empty for an account alert. */
  subject: string
  severity: Severity
  title: string
  why: string[]
  recipient: string | null
  recipientRole: string | null
  channels: string[]
  firedAt: number
}

export interface AlertFilter {
  accountIds?: string[]
  ruleIds?: string[]
  severities?: string[]
  subjects?: string[]
  /** Fired at or after this time (epoch ms). */
  since?: number
}

/** Where a page starts: after this alert in (fired_at descending, key) order. */
export interface AlertCursor {
  firedAt: number
  key: string
}


export async function readAlerts(clickhouse: ClickHouseClient, filter: AlertFilter, page: { first: number; after: AlertCursor | null }): Promise<{ alerts: StoredAlert[]; hasNextPage: boolean }> {
  const rows = await queryRows<Record<string, any>>(
    clickhouse,
    `SELECT key, rule_id, rule_name, account_id, subject, severity, title, why, recipient, recipient_role, channels, fired_at
     FROM playbook_alerts FINAL
     WHERE (empty({accountIds:Array(String)}) OR account_id IN {accountIds:Array(String)})
       AND (empty({ruleIds:Array(String)}) OR rule_id IN {ruleIds:Array(String)})
       AND (empty({severities:Array(String)}) OR severity IN {severities:Array(String)})
       AND (empty({subjects:Array(String)}) OR subject IN {subjects:Array(String)})
       AND fired_at >= {since:DateTime64(3, 'UTC')}
       AND ({hasAfter:UInt8} = 0 OR fired_at < {afterAt:DateTime64(3, 'UTC')} OR (fired_at = {afterAt:DateTime64(3, 'UTC')} AND key > {afterKey:String}))
     ORDER BY fired_at DESC, key LIMIT {limit:UInt32}`,
    {
      accountIds: filter.accountIds ?? [], ruleIds: filter.ruleIds ?? [], severities: filter.severities ?? [], subjects: filter.subjects ?? [],
      since: chTime(new Date(filter.since ?? 0)), hasAfter: page.after ? 1 : 0, afterAt: chTime(new Date(page.after?.firedAt ?? 0)), afterKey: page.after?.key ?? '', limit: page.first + 1,
    },
  )
  const alerts = rows.slice(0, page.first).map((r) => ({
    key: r.key, ruleId: r.rule_id, ruleName: r.rule_name, accountId: r.account_id, subject: r.subject, severity: r.severity, title: r.title, why: r.why,
    recipient: r.recipient, recipientRole: r.recipient_role, channels: r.channels, firedAt: ms(r.fired_at),
  }))
  return { alerts, hasNextPage: rows.length > page.first }
}
