/**
 * Pure: alerts and tasks as written in a rules file → Actions, with every owner and endpoint they name
 * checked against the file's `owners` and `endpoints`.
 */
import { SEVERITIES, type AlertAction, type Assignee, type Escalation, type Severity, type TaskAction } from './rules.js'
import { duplicates, durationMs, isObject, onlyKeys, show, type Path, type Reporter } from './rules-problems.js'

/** The names actions may refer to. */
export interface ActionContext {
  owners: string[]
  endpoints: string[]
}

const TASK_ID = /^[a-z0-9][a-z0-9_-]*$/

export function parseAlert(raw: unknown, r: Reporter, at: Path, ctx: ActionContext, opts: { defaultTitle: string; csmAllowed: boolean }): AlertAction | undefined {
  if (!isObject(raw)) return r.at(at, `expected an alert: { severity: ${SEVERITIES.join(' | ')}, title?, to?, channels? }, got ${show(raw)}`)
  if (!onlyKeys(raw, ['severity', 'title', 'to', 'channels'], r, at, 'an alert')) return undefined
  const severity = SEVERITIES.includes(raw.severity as Severity) ? (raw.severity as Severity) : r.at([...at, 'severity'], `expected ${SEVERITIES.join(', ')}, got ${show(raw.severity)}`)
  const title = raw.title === undefined ? opts.defaultTitle : text(raw.title, r, [...at, 'title'])
  const to = raw.to === undefined ? null : assignee(raw.to, r, [...at, 'to'], ctx, opts.csmAllowed)
  let channels: string[] | undefined = []
  if (raw.channels !== undefined) {
    const list = Array.isArray(raw.channels) ? raw.channels : [raw.channels]
    channels = list as string[]
    list.forEach((c, i) => {
      if (typeof c === 'string' && ctx.endpoints.includes(c)) return
      channels = undefined
      r.at([...at, 'channels', ...(Array.isArray(raw.channels) ? [i] : [])], `${show(c)} is no endpoint of the file (${ctx.endpoints.length ? ctx.endpoints.join(', ') : 'it declares none under endpoints'})`)
    })
  }
  if (!severity || title === undefined || to === undefined || !channels) return undefined
  return { type: 'alert', severity, title, to, channels }
}

/** `index` names a task without an id; an id keeps a step's progress when steps are reordered. */
export function parseTask(raw: unknown, r: Reporter, at: Path, ctx: ActionContext, index: number): TaskAction | undefined {
  if (!isObject(raw)) return r.at(at, `expected a task: { title, due, assignee?, start?, every?, escalate? }, got ${show(raw)}`)
  if (!onlyKeys(raw, ['id', 'title', 'assignee', 'start', 'due', 'every', 'escalate'], r, at, 'a task')) return undefined
  const id = raw.id === undefined ? String(index + 1) : typeof raw.id === 'string' && TASK_ID.test(raw.id) ? raw.id : r.at([...at, 'id'], `expected lower-case letters, digits, - and _, got ${show(raw.id)}`)
  const title = raw.title === undefined ? r.at(at, 'a task needs a title') : text(raw.title, r, [...at, 'title'])
  const who = raw.assignee === undefined ? { csm: true as const } : assignee(raw.assignee, r, [...at, 'assignee'], ctx, true)
  const startMs = raw.start === undefined ? 0 : durationMs(raw.start, r, [...at, 'start'])
  const dueMs = raw.due === undefined ? r.at(at, 'a task needs due: how long after it opens it is due, e.g. 2d') : durationMs(raw.due, r, [...at, 'due'])
  let everyMs: number | null | undefined = raw.every === undefined ? null : durationMs(raw.every, r, [...at, 'every'])
  if (everyMs === 0) everyMs = r.at([...at, 'every'], 'expected a duration above 0, such as 7d')
  const escalate = dueMs === undefined ? undefined : escalations(raw.escalate, r, [...at, 'escalate'], ctx, dueMs)
  if (!id || title === undefined || !who || startMs === undefined || dueMs === undefined || everyMs === undefined || !escalate) return undefined
  return { type: 'task', id, title, assignee: who, startMs, dueMs, everyMs, escalate }
}

/** Task ids are unique within their rule; they key its progress. */
export function checkTaskIds(tasks: { id: string; at: Path }[], r: Reporter): void {
  for (const id of duplicates(tasks.map((t) => t.id))) r.at(tasks.filter((t) => t.id === id)[1].at, `task id "${id}" is used twice in this rule`)
}

/** One escalation or a list; the first's `after` defaults to the task's due time ("overdue → next owner"). */
function escalations(raw: unknown, r: Reporter, at: Path, ctx: ActionContext, dueMs: number): Escalation[] | undefined {
  if (raw === undefined) return []
  const list = Array.isArray(raw) ? raw : [raw]
  const out: Escalation[] = []
  let ok = true
  list.forEach((e, i) => {
    const k = Array.isArray(raw) ? [...at, i] : at
    if (!isObject(e) || !onlyKeys(e, ['to', 'after'], r, k, 'an escalation')) {
      if (!isObject(e)) r.at(k, `expected { to: owner, after?: duration }, got ${show(e)}`)
      ok = false
      return
    }
    const to = assignee(e.to, r, [...k, 'to'], ctx, false)
    const afterMs = e.after === undefined ? (i === 0 ? dueMs : r.at(k, 'every escalation after the first needs after: how long after the task opens')) : durationMs(e.after, r, [...k, 'after'])
    if (!to || afterMs === undefined) {
      ok = false
      return
    }
    if (out.length && afterMs <= out.at(-1)!.afterMs) {
      ok = false
      r.at([...k, 'after'], 'escalations must come later one after another')
      return
    }
    out.push({ afterMs, to: (to as { owner: string }).owner })
  })
  return ok ? out : undefined
}

function assignee(raw: unknown, r: Reporter, at: Path, ctx: ActionContext, csmAllowed: boolean): Assignee | undefined {
  if (raw === 'csm' && csmAllowed) return { csm: true }
  if (typeof raw === 'string' && ctx.owners.includes(raw)) return { owner: raw }
  const owners = `an owner named under owners (${ctx.owners.length ? ctx.owners.join(', ') : 'the file declares none'})`
  return r.at(at, `expected ${csmAllowed ? 'csm or ' : ''}${owners}, got ${show(raw)}`)
}

function text(raw: unknown, r: Reporter, at: Path): string | undefined {
  return typeof raw === 'string' && raw.trim() ? raw.trim() : r.at(at, `expected a non-empty string, got ${show(raw)}`)
}
