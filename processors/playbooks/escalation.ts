/**
 * Pure: who an open task belongs to as time passes. A task past an escalation's time passes to that
 * escalation's owner; done or canceled tasks never escalate. The sweep asks `escalationsDue` for each open
 * task and records how many it applied, so each escalation is announced once.
 */
import type { PlannedEscalation, PlannedTask, TaskStatus } from './planned-actions.js'

export interface TaskProgress {
  status: TaskStatus
  /** Escalations already applied (announced and reassigned). */
  escalated: number
}

/** The escalations to apply now, in order; the last one's owner is the task's new assignee. */
export function escalationsDue(task: Pick<PlannedTask, 'escalations'>, progress: TaskProgress, now: number): (PlannedEscalation & { level: number })[] {
  if (progress.status !== 'open') return []
  return task.escalations.map((e, i) => ({ ...e, level: i + 1 })).filter((e) => e.level > progress.escalated && e.at <= now)
}

/** Who the task is with at `now` if every escalation due has been applied. */
export function assigneeAt(task: Pick<PlannedTask, 'assignee' | 'assigneeRole' | 'escalations'>, status: TaskStatus, now: number): { id: string | null; role: string } {
  if (status !== 'open') return { id: task.assignee, role: task.assigneeRole }
  const last = task.escalations.filter((e) => e.at <= now).at(-1)
  return last ? { id: last.to, role: last.owner } : { id: task.assignee, role: task.assigneeRole }
}

/** Whether the task is overdue at `now`. */
export function isOverdue(task: Pick<PlannedTask, 'dueAt'>, status: TaskStatus, now: number): boolean {
  return status === 'open' && now > task.dueAt
}
