/**
 * Pure: the concrete alerts and tasks a rule's episode calls for at `account.now` — assignees resolved from
 * the account's CSM or a named owner, due and escalation times computed from when each task opens. Steps
 * open while the episode lasts; once its condition clears (the account recovered) nothing more opens.
 */
import type { AccountState } from './account-state.js'
import type { Verdict } from './condition-verdict.js'
import { episodeOngoing, type Episode } from './episode.js'
import type { PlannedAction, PlannedTask } from './planned-actions.js'
import type { AccountRule, Assignee, Rules, TaskAction } from './rules.js'

export type Owners = Pick<Rules, 'owners' | 'csmFallback'>

export function planActions(
  rule: AccountRule,
  input: { account: AccountState; episode: Episode; fires: boolean; verdict: Verdict; owners: Owners },
): { actions: PlannedAction[]; episode: Episode } {
  const { account, owners, verdict } = input
  let episode = input.episode
  if (!episodeOngoing(episode)) return { actions: [], episode }
  const actions: PlannedAction[] = []
  const opened = { ...episode.opened }
  for (const action of rule.actions) {
    if (action.type === 'alert') {
      if (!input.fires) continue
      const to = action.to && resolveAssignee(action.to, account, owners)
      actions.push({
        type: 'alert',
        key: `${rule.id}/${account.accountId}/${episode.since}`,
        ruleId: rule.id,
        ruleName: rule.name,
        target: { type: 'account', accountId: account.accountId },
        severity: action.severity,
        title: action.title,
        why: verdict.why,
        to: to?.id ?? null,
        toRole: to?.role ?? null,
        channels: action.channels,
        firedAt: account.now,
      })
      continue
    }
    const due = dueOccurrence(action, episode.since, opened[action.id] ?? 0, account.now)
    if (due === null) continue
    opened[action.id] = due.occurrence + 1
    actions.push(openTask(rule, action, account, owners, episode.since, due, verdict.why))
  }
  if (actions.some((a) => a.type === 'task')) episode = { ...episode, opened }
  return { actions, episode }
}

/**
 * The occurrence to open now, if any: the latest one whose time has come and that has not been opened.
 * Occurrences missed while nothing evaluated the account are skipped, not opened late in a burst — a CSM
 * needs this week's check, not three stale ones.
 */
export function dueOccurrence(task: Pick<TaskAction, 'startMs' | 'everyMs'>, since: number, alreadyOpened: number, now: number): { occurrence: number; openedAt: number } | null {
  const first = since + task.startMs
  if (now < first) return null
  const latest = task.everyMs ? Math.floor((now - first) / task.everyMs) : 0
  if (latest < alreadyOpened) return null
  return { occurrence: latest, openedAt: first + latest * (task.everyMs ?? 0) }
}

/**
 * When the task's next occurrence comes due (Infinity: never again in this episode): what `dueOccurrence`
 * answers null before and an occurrence from.
 */
export function nextOccurrenceAt(task: Pick<TaskAction, 'startMs' | 'everyMs'>, since: number, alreadyOpened: number): number {
  const first = since + task.startMs
  if (task.everyMs) return first + alreadyOpened * task.everyMs
  return alreadyOpened === 0 ? first : Infinity
}

function openTask(rule: AccountRule, task: TaskAction, account: AccountState, owners: Owners, since: number, due: { occurrence: number; openedAt: number }, why: string[]): PlannedTask {
  const assignee = resolveAssignee(task.assignee, account, owners)
  return {
    type: 'task',
    key: `${rule.id}/${account.accountId}/${since}/${task.id}/${due.occurrence}`,
    ruleId: rule.id,
    taskId: task.id,
    occurrence: due.occurrence,
    accountId: account.accountId,
    title: task.title,
    why,
    assignee: assignee.id,
    assigneeRole: assignee.role,
    status: 'open',
    openedAt: due.openedAt,
    dueAt: due.openedAt + task.dueMs,
    escalations: task.escalate.map((e) => ({ at: due.openedAt + e.afterMs, to: owners.owners[e.to] ?? null, owner: e.to })),
  }
}

/** The CSM when the account has one, else the fallback owner; a named owner as configured. */
export function resolveAssignee(a: Assignee, account: Pick<AccountState, 'csmId'>, owners: Owners): { id: string | null; role: string } {
  if ('owner' in a) return { id: owners.owners[a.owner] ?? null, role: a.owner }
  if (account.csmId) return { id: account.csmId, role: 'csm' }
  if (owners.csmFallback) return { id: owners.owners[owners.csmFallback] ?? null, role: owners.csmFallback }
  return { id: null, role: 'csm' }
}
