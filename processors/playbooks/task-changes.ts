/**
 * Pure: what a person or the clock does to a task after it opens — complete, snooze, reassign, escalate —
 * as a new version of the task. Stored tasks are versions in a ReplacingMergeTree where the latest
 * `updatedAt` wins, so every change gets an `updatedAt` later than the version it was made from: a change is
 * never lost to the version it replaced, whatever the clocks say.
 */
import { escalationsDue } from './escalation.js'
import type { PlannedTask } from './planned-actions.js'

/** A task as stored: as planned, plus what happened to it since. */
export interface TaskRecord extends Omit<PlannedTask, 'type'> {
  /** Escalations applied so far (each applied once, in order). */
  escalated: number
  /** Deferred until then (the due date and the escalations not yet applied moved with it). */
  snoozedUntil: number | null
  completedAt: number | null
  completedBy: string | null
  updatedAt: number
}

/** A task as first stored: as planned, nothing done to it yet; any later version carries a later updatedAt. */
export function openedTask(task: PlannedTask): TaskRecord {
  const { type: _type, ...planned } = task
  return { ...planned, escalated: 0, snoozedUntil: null, completedAt: null, completedBy: null, updatedAt: task.openedAt }
}

export type TaskChange = { kind: 'complete'; by: string | null } | { kind: 'snooze'; until: number } | { kind: 'assign'; to: string; by: string | null }

export type TaskChangeResult = { ok: true; task: TaskRecord } | { ok: false; reason: string }

/** The longest snooze: a deferral beyond a year is a cancellation in disguise. */
export const MAX_SNOOZE_MS = 366 * 86_400_000

const later = (task: TaskRecord, at: number) => Math.max(at, task.updatedAt + 1)
const iso = (ms: number) => new Date(ms).toISOString()

/** The task after `change` at `now`, or why it cannot be made (a finished task stays finished). */
export function applyTaskChange(task: TaskRecord, change: TaskChange, now: number): TaskChangeResult {
  if (task.status !== 'open') {
    const when = task.completedAt !== null ? ` at ${iso(task.completedAt)}${task.completedBy ? ` by ${task.completedBy}` : ''}` : ''
    return { ok: false, reason: `task ${task.key} is already ${task.status}${when}; only open tasks can be changed` }
  }
  switch (change.kind) {
    case 'complete':
      return { ok: true, task: { ...task, status: 'done', completedAt: now, completedBy: change.by, updatedAt: later(task, now) } }
    case 'snooze': {
      if (!(change.until > now)) return { ok: false, reason: `until must be in the future; got ${iso(change.until)}, now is ${iso(now)}` }
      if (change.until - now > MAX_SNOOZE_MS) return { ok: false, reason: `until may be at most 366 days ahead; got ${iso(change.until)}` }
      // The deferral moves the deadline and what hangs on it: "not done 5 days after due → director" stays 5 days.
      const shift = Math.max(0, change.until - task.dueAt)
      const escalations = task.escalations.map((e, i) => (i < task.escalated ? e : { ...e, at: e.at + shift }))
      return { ok: true, task: { ...task, snoozedUntil: change.until, dueAt: task.dueAt + shift, escalations, updatedAt: later(task, now) } }
    }
    case 'assign': {
      const to = change.to.trim()
      if (!to) return { ok: false, reason: 'assignee must be a non-empty id' }
      // A person's choice supersedes the escalations already due: the sweep must not take the task back.
      const due = task.escalations.filter((e) => e.at <= now).length
      return { ok: true, task: { ...task, assignee: to, assigneeRole: 'assigned', escalated: Math.max(task.escalated, due), updatedAt: later(task, now) } }
    }
  }
}

/**
 * The task after the escalations due at `now`, or null when none is. Stamped with the last escalation's
 * time (not `now`), so a completion or reassignment made after that time, but stored before the sweep's
 * write, still wins.
 */
export function escalateTask(task: TaskRecord, now: number): TaskRecord | null {
  const due = escalationsDue(task, { status: task.status, escalated: task.escalated }, now)
  const last = due.at(-1)
  if (!last) return null
  return { ...task, assignee: last.to ?? task.assignee, assigneeRole: last.owner, escalated: last.level, updatedAt: later(task, last.at) }
}

/** Whether the task is open past its due date at `now`. */
export function taskOverdue(task: Pick<TaskRecord, 'status' | 'dueAt'>, now: number): boolean {
  return task.status === 'open' && now > task.dueAt
}
