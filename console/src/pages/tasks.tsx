/**
 * Tasks: the playbooks' open tasks for one owner or everyone, counted per playbook, soonest due first; complete,
 * snooze, reassign. The owner (a CSM from the picker), the playbook and "overdue only" live in the URL.
 */
import { useCallback, useEffect, useState } from 'preact/hooks'
import { graphql, KeyRefusedError, type Connection } from '../api.js'
import { listedWithChosen, useCsms } from '../components/csm-options.js'
import { Pager } from '../components/pager.js'
import { PlaybookTable } from '../components/playbook-table.js'
import { Empty, Failure, Loading } from '../components/states.js'
import { day } from '../format.js'
import { usePlaybookCounts } from '../playbook-counts.js'
import { href } from '../route.js'
import { useSubscription } from '../live.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Tasks($filter: TaskFilter, $after: String) {
  tasks(filter: $filter, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id ruleId title accountId assignee assigneeRole dueAt overdue snoozedUntil why } }
  }
}`

interface TaskRow {
  id: string
  ruleId: string
  title: string
  accountId: string
  assignee: string | null
  assigneeRole: string
  dueAt: string
  overdue: boolean
  snoozedUntil: string | null
  why: string[]
}

const COMPLETE = 'mutation Complete($id: ID!) { completeTask(id: $id) { id status } }'
const SNOOZE = 'mutation Snooze($id: ID!, $until: DateTimeISO!) { snoozeTask(id: $id, until: $until) { id dueAt } }'
const ASSIGN = 'mutation Assign($id: ID!, $assignee: String!) { assignTask(id: $id, assignee: $assignee) { id assignee } }'

export function TasksPage({ apiKey, params, onKeyProblem }: { apiKey: string; params: URLSearchParams; onKeyProblem: () => void }) {
  const assignee = params.get('assignee') || null
  const playbook = params.get('playbook') || null
  const overdue = params.get('overdue') === '1'
  const filter = { statuses: ['OPEN'], assignees: assignee ? [assignee] : null, ruleIds: playbook ? [playbook] : null, overdue: overdue || null }
  const q = useQuery<{ tasks: Connection<TaskRow> }>(apiKey, QUERY, { filter, after: params.get('after') })
  // Every playbook of the owner, whatever the list is narrowed to: the summary is also the way to narrow it.
  const counts = usePlaybookCounts(apiKey, assignee)
  const csms = useCsms(apiKey, assignee)
  const [message, setMessage] = useState<string | null>(null)
  // The page stays mounted as the view changes: what was done to another owner's list is not news in this one.
  useEffect(() => setMessage(null), [assignee, playbook, overdue])
  const reload = useCallback(() => (q.reload(), counts.reload()), [q.reload, counts.reload])
  // A playbook opens (or escalates) a task for this owner: it appears without a reload.
  useSubscription(apiKey, 'subscription($assignee: String) { taskCreated(assignee: $assignee) { id } }', { assignee }, reload)
  // Each picker changes its own part of the view, kept in the URL, and leaves the others as they are (a new view starts at its first page).
  const link = (change: Record<string, string | null>) => href('tasks', { assignee, playbook, overdue: overdue ? '1' : null, ...change })
  const act = async (what: string, query: string, variables: Record<string, unknown>) => {
    try {
      await graphql(apiKey, query, variables)
      setMessage(what)
      reload()
    } catch (err) {
      // A read-only key may look but not act: say so here rather than sending the user back to the key gate.
      setMessage(err instanceof KeyRefusedError ? `Not done: ${err.message}` : `Not done: ${(err as Error).message}`)
    }
  }
  const playbooks = counts.status === 'ok' ? counts.data.playbooks.map((p) => p.ruleId) : []
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks — {[assignee ?? 'everyone', playbook && `playbook ${playbook}`, overdue && 'overdue'].filter(Boolean).join(', ')}</h1>
      <form class="filters" aria-label="Tasks view" onSubmit={(e) => e.preventDefault()}>
        <label>
          Owner
          <select value={assignee ?? ''} onChange={(e) => (location.hash = link({ assignee: (e.target as HTMLSelectElement).value }))}>
            <option value="">Everyone</option>
            {csms.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Playbook
          <select value={playbook ?? ''} onChange={(e) => (location.hash = link({ playbook: (e.target as HTMLSelectElement).value }))}>
            <option value="">All</option>
            {listedWithChosen(playbooks, playbook).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" checked={overdue} onChange={(e) => (location.hash = link({ overdue: (e.target as HTMLInputElement).checked ? '1' : null }))} /> Overdue only
        </label>
      </form>
      {message && (
        <p role="status" class="muted">
          {message}
        </p>
      )}
      {counts.status === 'ok' && counts.data.playbooks.length > 0 && (
        <>
          <h2>Playbooks</h2>
          <PlaybookTable counts={counts.data} chosen={playbook} link={(ruleId) => link({ playbook: ruleId })} />
        </>
      )}
      {counts.status === 'error' && <Failure error={counts.error} retry={counts.reload} onKeyProblem={onKeyProblem} />}
      <h2>Open tasks</h2>
      {q.status === 'loading' && <Loading what="tasks" />}
      {q.status === 'error' && <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />}
      {q.status === 'ok' &&
        (q.data.tasks.edges.length === 0 ? (
          <NoTasks assignee={assignee} playbook={playbook} overdue={overdue} />
        ) : (
          <TaskTable
            page={q.data.tasks}
            byOwner={assignee !== null}
            next={q.data.tasks.pageInfo.hasNextPage && q.data.tasks.pageInfo.endCursor ? link({ after: q.data.tasks.pageInfo.endCursor }) : null}
            paged={params.has('after')}
            act={act}
          />
        ))}
    </section>
  )
}

type Act = (what: string, query: string, variables: Record<string, unknown>) => Promise<void>

/** The list, soonest due first; in everyone's list each owner links to their own. */
function TaskTable({ page, byOwner, next, paged, act }: { page: Connection<TaskRow>; byOwner: boolean; next: string | null; paged: boolean; act: Act }) {
  return (
    <>
      <p class="muted" aria-live="polite">
        {page.totalCount?.toLocaleString('en')} open tasks{paged ? ' (a later page)' : ''}
      </p>
      <table class="data dense" aria-label="Open tasks">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Account</th>
            <th scope="col">Owner</th>
            <th scope="col">Due</th>
            <th scope="col">Why</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {page.edges.map(({ node: t }) => (
            <tr key={t.id} data-task={t.id} data-playbook={t.ruleId} class={t.overdue ? 'overdue' : ''}>
              <th scope="row">
                {t.title}
                <div class="muted small">{t.ruleId}</div>
              </th>
              <td>
                <a href={href('account', { id: t.accountId })}>{t.accountId}</a>
              </td>
              <td>
                {t.assignee && !byOwner ? <a href={href('tasks', { assignee: t.assignee })}>{t.assignee}</a> : (t.assignee ?? 'unassigned')}{' '}
                <span class="muted small">({t.assigneeRole})</span>
              </td>
              <td>
                {day(t.dueAt)}
                {t.overdue && ' overdue'}
              </td>
              <td class="small">{t.why.join('; ')}</td>
              <td class="actions">
                <TaskActions task={t} act={act} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager label="Pages of tasks" paged={paged} next={next} />
    </>
  )
}

function TaskActions({ task: t, act }: { task: TaskRow; act: Act }) {
  return (
    <>
      <button type="button" onClick={() => act(`Completed “${t.title}”.`, COMPLETE, { id: t.id })}>
        Complete
      </button>
      <button type="button" onClick={() => act(`Snoozed “${t.title}” for a week.`, SNOOZE, { id: t.id, until: new Date(Date.now() + 7 * 86_400_000).toISOString() })}>
        Snooze a week
      </button>
      <button
        type="button"
        onClick={() => {
          const to = prompt(`Give “${t.title}” to (an id):`)
          if (to?.trim()) void act(`Gave “${t.title}” to ${to.trim()}.`, ASSIGN, { id: t.id, assignee: to.trim() })
        }}
      >
        Assign…
      </button>
    </>
  )
}

/** Nothing to do is good news, said as such; with a filter, the way to everyone's open tasks. */
function NoTasks({ assignee, playbook, overdue }: { assignee: string | null; playbook: string | null; overdue: boolean }) {
  const what = `No ${overdue ? 'overdue' : 'open'} tasks${assignee ? ` for ${assignee}` : ''}${playbook ? ` in playbook ${playbook}` : ''}`
  if (!assignee && !overdue && !playbook) return <Empty>{what}: the playbooks have nothing for anyone to do right now.</Empty>
  return (
    <Empty>
      {what}. <a href={href('tasks')}>Everyone’s open tasks</a>
    </Empty>
  )
}
