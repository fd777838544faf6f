import { describe, expect, it } from 'vitest'
import { applyTaskChange, escalateTask, taskOverdue, type TaskRecord } from '../../processors/playbooks/index.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.UTC(2026, 5, 1, 12)

const task = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  key: 'at-risk/acme/1/outreach/0', ruleId: 'at-risk', taskId: 'outreach', occurrence: 0, accountId: 'acme', title: 'Reach out', why: ['tier At-risk'],
  assignee: 'csm_ana', assigneeRole: 'csm', status: 'open', openedAt: T0, dueAt: T0 + 2 * DAY,
  escalations: [{ at: T0 + 5 * DAY, to: 'dir_bo', owner: 'csDirector' }, { at: T0 + 10 * DAY, to: 'vp_cy', owner: 'vpCs' }],
  escalated: 0, snoozedUntil: null, completedAt: null, completedBy: null, updatedAt: T0, ...over,
})

describe('task changes: complete, snooze, assign and escalate as new versions that win the merge', () => {
  it('completes an open task once, recording who and when; a finished task refuses every change with its state', () => {
    const done = applyTaskChange(task(), { kind: 'complete', by: 'ana-key' }, T0 + DAY)
    expect(done).toMatchObject({ ok: true, task: { status: 'done', completedAt: T0 + DAY, completedBy: 'ana-key', updatedAt: T0 + DAY } })
    const again = applyTaskChange((done as { task: TaskRecord }).task, { kind: 'snooze', until: T0 + 3 * DAY }, T0 + 2 * DAY)
    expect(again).toEqual({ ok: false, reason: `task at-risk/acme/1/outreach/0 is already done at ${new Date(T0 + DAY).toISOString()} by ana-key; only open tasks can be changed` })
    expect(applyTaskChange(task({ status: 'canceled' }), { kind: 'complete', by: null }, T0).ok).toBe(false)
  })

  it('snoozing defers the due date and the pending escalations by the same time; the past and far future are refused', () => {
    const r = applyTaskChange(task(), { kind: 'snooze', until: T0 + 4 * DAY }, T0 + DAY)
    expect(r.ok && r.task).toMatchObject({ snoozedUntil: T0 + 4 * DAY, dueAt: T0 + 4 * DAY })
    expect(r.ok && r.task.escalations.map((e) => e.at)).toEqual([T0 + 7 * DAY, T0 + 12 * DAY])
    // Snoozed to before the due date: only hidden until then, nothing moves.
    const short = applyTaskChange(task(), { kind: 'snooze', until: T0 + DAY }, T0 + HOUR)
    expect(short.ok && [short.task.dueAt, short.task.escalations[0].at]).toEqual([T0 + 2 * DAY, T0 + 5 * DAY])
    // An escalation already applied stays where it was.
    const after = applyTaskChange(task({ escalated: 1, assignee: 'dir_bo' }), { kind: 'snooze', until: T0 + 8 * DAY }, T0 + 6 * DAY)
    expect(after.ok && after.task.escalations.map((e) => e.at)).toEqual([T0 + 5 * DAY, T0 + 16 * DAY])
    expect(applyTaskChange(task(), { kind: 'snooze', until: T0 }, T0 + DAY)).toMatchObject({ ok: false, reason: expect.stringContaining('until must be in the future') })
    expect(applyTaskChange(task(), { kind: 'snooze', until: T0 + 400 * DAY }, T0)).toMatchObject({ ok: false, reason: expect.stringContaining('at most 366 days') })
  })

  it('escalates an overdue task to each next owner once, stamped with the escalation time; none before it is due', () => {
    expect(escalateTask(task(), T0 + 4 * DAY)).toBeNull()
    const first = escalateTask(task(), T0 + 6 * DAY)!
    expect(first).toMatchObject({ assignee: 'dir_bo', assigneeRole: 'csDirector', escalated: 1, updatedAt: T0 + 5 * DAY })
    expect(escalateTask(first, T0 + 7 * DAY)).toBeNull()
    // A sweep that missed both applies both at once: the last owner has it.
    expect(escalateTask(task(), T0 + 11 * DAY)).toMatchObject({ assignee: 'vp_cy', escalated: 2, updatedAt: T0 + 10 * DAY })
    expect(escalateTask(task({ status: 'done' }), T0 + 11 * DAY)).toBeNull()
    // An owner the rules file names no id for leaves the task with who had it.
    expect(escalateTask(task({ escalations: [{ at: T0 + DAY, to: null, owner: 'csDirector' }] }), T0 + 2 * DAY)).toMatchObject({ assignee: 'csm_ana', assigneeRole: 'csDirector' })
  })

  it('every change is stamped after the version it came from, so it wins the merge even against a clock behind it', () => {
    const escalated = escalateTask(task({ updatedAt: T0 + 6 * DAY }), T0 + 7 * DAY)!
    expect(escalated.updatedAt).toBe(T0 + 6 * DAY + 1)
    expect(applyTaskChange(task({ updatedAt: T0 + 9 * DAY }), { kind: 'complete', by: null }, T0 + 8 * DAY)).toMatchObject({ task: { updatedAt: T0 + 9 * DAY + 1, completedAt: T0 + 8 * DAY } })
  })

  it('a reassignment supersedes the escalations already due, so the sweep does not take the task back', () => {
    const r = applyTaskChange(task(), { kind: 'assign', to: ' csm_dee ', by: 'lead-key' }, T0 + 6 * DAY)
    expect(r.ok && r.task).toMatchObject({ assignee: 'csm_dee', assigneeRole: 'assigned', escalated: 1 })
    expect(r.ok && escalateTask(r.task, T0 + 7 * DAY)).toBeNull()
    expect(r.ok && escalateTask(r.task, T0 + 11 * DAY)).toMatchObject({ assignee: 'vp_cy', escalated: 2 })
    expect(applyTaskChange(task(), { kind: 'assign', to: '  ', by: null }, T0)).toEqual({ ok: false, reason: 'assignee must be a non-empty id' })
  })

  it('is overdue only while open and past due', () => {
    expect(taskOverdue(task(), T0 + 3 * DAY)).toBe(true)
    expect(taskOverdue(task(), T0 + DAY)).toBe(false)
    expect(taskOverdue(task({ status: 'done' }), T0 + 3 * DAY)).toBe(false)
  })
})
