/**
 * Tasks in ClickHouse (`playbook_tasks`, a ReplacingMergeTree keeping each key's latest `updated_at`): read
 * a page of them, change one (read its latest version with FINAL, apply the pure change, insert the new
 * version), and escalate the overdue ones for the sweep.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { queryRows } from '../clickhouse-rows.js'
import { chTime, fromChTime as ms } from '../clickhouse-time.js'
import type { PlannedEscalation, TaskStatus } from './planned-actions.js'
import { applyTaskChange, escalateTask, type TaskChange, type TaskRecord } from './task-changes.js'

export interface TaskFilter {
  statuses?: TaskStatus[]
  assignees?: string[]
  accountIds?: string[]
  ruleIds?: string[]
  /** Open and past due (true), or not (false). */
  overdue?: boolean
  /** Open and snoozed past `now` (true), or not (false). */
  snoozed?: boolean
  /** Due before this time (epoch ms). */
  dueBefore?: number
}

/** Where a page starts: after this task in (due date, key) order. */
export interface TaskCursor {
  dueAt: number
  key: string
}

export class TaskNotFoundError extends Error {}
export class TaskChangeRefused extends Error {}

interface TaskRow {
  key: string
  rule_id: string
  task_id: string
  occurrence: number
  account_id: string
  title: string
  why: string[]
  assignee: string | null
  assignee_role: string
  status: TaskStatus
  opened_at: string
  due_at: string
  escalations: string
  escalated: number
  snoozed_until: string | null
  completed_at: string | null
  completed_by: string | null
  updated_at: string
}

const COLUMNS = 'key, rule_id, task_id, occurrence, account_id, title, why, assignee, assignee_role, status, opened_at, due_at, escalations, escalated, snoozed_until, completed_at, completed_by, updated_at'
const time = (t: number) => chTime(new Date(t))

function fromRow(r: TaskRow): TaskRecord {
  return {
    key: r.key, ruleId: r.rule_id, taskId: r.task_id, occurrence: Number(r.occurrence), accountId: r.account_id, title: r.title, why: r.why,
    assignee: r.assignee, assigneeRole: r.assignee_role, status: r.status, openedAt: ms(r.opened_at), dueAt: ms(r.due_at),
    escalations: JSON.parse(r.escalations) as PlannedEscalation[], escalated: Number(r.escalated),
    snoozedUntil: r.snoozed_until === null ? null : ms(r.snoozed_until), completedAt: r.completed_at === null ? null : ms(r.completed_at),
    completedBy: r.completed_by, updatedAt: ms(r.updated_at),
  }
}

function toRow(t: TaskRecord): Record<string, unknown> {
  return {
    key: t.key, rule_id: t.ruleId, task_id: t.taskId, occurrence: t.occurrence, account_id: t.accountId, title: t.title, why: t.why,
    assignee: t.assignee, assignee_role: t.assigneeRole, status: t.status, opened_at: time(t.openedAt), due_at: time(t.dueAt),
    escalations: JSON.stringify(t.escalations), escalated: t.escalated, snoozed_until: t.snoozedUntil === null ? null : time(t.snoozedUntil),
    completed_at: t.completedAt === null ? null : time(t.completedAt), completed_by: t.completedBy, updated_at: time(t.updatedAt),
  }
}

/** Inserts task versions; each key keeps its latest `updatedAt` at merge. */
export async function storeTasks(clickhouse: ClickHouseClient, tasks: TaskRecord[]): Promise<void> {
  if (tasks.length) await clickhouse.insert({ table: 'playbook_tasks', format: 'JSONEachRow', values: tasks.map(toRow) })
}

/** The latest version of one task, or null. */
export async function readTask(clickhouse: ClickHouseClient, key: string): Promise<TaskRecord | null> {
  const rows = await queryRows<TaskRow>(clickhouse, `SELECT ${COLUMNS} FROM playbook_tasks FINAL WHERE key = {key:String} LIMIT 1`, { key })
  return rows[0] ? fromRow(rows[0]) : null
}

const FILTER_SQL = `
  (empty({statuses:Array(String)}) OR status IN {statuses:Array(String)})
  AND (empty({assignees:Array(String)}) OR assignee IN {assignees:Array(String)})
  AND (empty({accountIds:Array(String)}) OR account_id IN {accountIds:Array(String)})
  AND (empty({ruleIds:Array(String)}) OR rule_id IN {ruleIds:Array(String)})
  AND ({overdue:Int8} = -1 OR (status = 'open' AND due_at < {now:DateTime64(3, 'UTC')}) = {overdue:Int8})
  AND ({snoozed:Int8} = -1 OR (status = 'open' AND ifNull(snoozed_until > {now:DateTime64(3, 'UTC')}, 0)) = {snoozed:Int8})
  AND ({dueBefore:Nullable(DateTime64(3, 'UTC'))} IS NULL OR due_at < {dueBefore:Nullable(DateTime64(3, 'UTC'))})`

/**
 * A page of tasks matching `filter`, soonest due first (ties by key), after `cursor` (keyset pagination: a
 * page is not shifted by tasks added before it), with the count of every match.
 */
export async function readTasks(clickhouse: ClickHouseClient, filter: TaskFilter, page: { first: number; after: TaskCursor | null; now: number }): Promise<{ tasks: TaskRecord[]; hasNextPage: boolean; totalCount: number }> {
  const tri = (b: boolean | undefined) => (b === undefined ? -1 : b ? 1 : 0)
  const params = {
    statuses: filter.statuses ?? [], assignees: filter.assignees ?? [], accountIds: filter.accountIds ?? [], ruleIds: filter.ruleIds ?? [],
    overdue: tri(filter.overdue), snoozed: tri(filter.snoozed), dueBefore: filter.dueBefore === undefined ? null : time(filter.dueBefore), now: time(page.now),
    afterDue: time(page.after?.dueAt ?? 0), afterKey: page.after?.key ?? '', hasAfter: page.after ? 1 : 0, limit: page.first + 1,
  }
  // The window count runs over the filtered tasks before the cursor narrows them: one query for a page and its total.
  const rows = await queryRows<TaskRow & { total: string }>(
    clickhouse,
    `SELECT * FROM (SELECT ${COLUMNS}, count() OVER () AS total FROM playbook_tasks FINAL WHERE ${FILTER_SQL})
     WHERE {hasAfter:UInt8} = 0 OR (due_at, key) > ({afterDue:DateTime64(3, 'UTC')}, {afterKey:String})
     ORDER BY due_at, key LIMIT {limit:UInt32}`,
    params,
  )
  let totalCount = Number(rows[0]?.total ?? 0)
  if (!rows.length && page.after) {
    totalCount = Number((await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM playbook_tasks FINAL WHERE ${FILTER_SQL}`, params))[0]?.n ?? 0)
  }
  return { tasks: rows.slice(0, page.first).map(fromRow), hasNextPage: rows.length > page.first, totalCount }
}

/** Completes, snoozes or reassigns a task; throws TaskNotFoundError or TaskChangeRefused (with the reason). */
export async function changeTask(clickhouse: ClickHouseClient, key: string, change: TaskChange, now: number): Promise<TaskRecord> {
  const task = await readTask(clickhouse, key)
  if (!task) throw new TaskNotFoundError(`no task with id "${key}"`)
  const changed = applyTaskChange(task, change, now)
  if (!changed.ok) throw new TaskChangeRefused(changed.reason)
  await storeTasks(clickhouse, [changed.task])
  return changed.task
}

/**
 * The sweep's part: every open task with an escalation due at `now` passes to that escalation's owner, once
 * (the count applied is stored with it). Returns the tasks escalated.
 */
export async function escalateDueTasks(clickhouse: ClickHouseClient, now: number): Promise<TaskRecord[]> {
  const rows = await queryRows<TaskRow>(
    clickhouse,
    `SELECT ${COLUMNS} FROM playbook_tasks FINAL WHERE status = 'open' AND JSONLength(escalations) > escalated`,
  )
  const escalated = rows.map(fromRow).flatMap((t) => escalateTask(t, now) ?? [])
  await storeTasks(clickhouse, escalated)
  return escalated
}
