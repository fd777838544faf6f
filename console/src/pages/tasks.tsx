/** Tasks: the playbooks' open tasks for one owner (remembered in the URL), soonest due first; complete, snooze, reassign. */
import { useState } from 'preact/hooks'
import { graphql, KeyRefusedError, type Connection } from '../api.js'
import { Empty, Failure, Loading } from '../components/states.js'
import { day } from '../format.js'
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
  const assignee = params.get('assignee')
  const overdue = params.get('overdue') === '1'
  const filter = { statuses: ['OPEN'], assignees: assignee ? [assignee] : null, overdue: overdue || null }
  const q = useQuery<{ tasks: Connection<TaskRow> }>(apiKey, QUERY, { filter, after: params.get('after') })
  const [message, setMessage] = useState<string | null>(null)
  // A playbook opens (or escalates) a task for this owner: it appears without a reload.
  useSubscription(apiKey, 'subscription($assignee: String) { taskCreated(assignee: $assignee) { id } }', { assignee }, () => q.reload())
  const act = async (what: string, query: string, variables: Record<string, unknown>) => {
    try {
      await graphql(apiKey, query, variables)
      setMessage(what)
      q.reload()
    } catch (err) {
      // A read-only key may look but not act: say so here rather than sending the user back to the key gate.
      setMessage(err instanceof KeyRefusedError ? `Not done: ${err.message}` : `Not done: ${(err as Error).message}`)
    }
  }
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault()
          const data = new FormData(e.currentTarget as HTMLFormElement)
          location.hash = href('tasks', { assignee: String(data.get('assignee') || ''), overdue: data.get('overdue') ? '1' : null })
        }}
      >
        <label>
          Owner
          <input name="assignee" value={assignee ?? ''} placeholder="everyone" />
        </label>
        <label class="inline">
          <input type="checkbox" name="overdue" checked={overdue} /> Overdue only
        </label>
        <button type="submit">Show</button>
      </form>
      {message && (
        <p role="status" class="muted">
          {message}
        </p>
      )}
      {q.status === 'loading' && <Loading what="tasks" />}
      {q.status === 'error' && <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />}
      {q.status === 'ok' &&
        (q.data.tasks.edges.length === 0 ? (
          <NoTasks assignee={assignee} overdue={overdue} />
        ) : (
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
              {q.data.tasks.edges.map(({ node: t }) => (
                <tr key={t.id} data-task={t.id} class={t.overdue ? 'overdue' : ''}>
                  <th scope="row">
                    {t.title}
                    <div class="muted small">{t.ruleId}</div>
                  </th>
                  <td>
                    <a href={href('account', { id: t.accountId })}>{t.accountId}</a>
                  </td>
                  <td>
                    {t.assignee ?? 'unassigned'} <span class="muted small">({t.assigneeRole})</span>
                  </td>
                  <td>
                    {day(t.dueAt)}
                    {t.overdue && ' overdue'}
                  </td>
                  <td class="small">{t.why.join('; ')}</td>
                  <td class="actions">
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
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  )
}

/** Nothing to do is good news, said as such; with a filter, the way to everyone's open tasks. */
function NoTasks({ assignee, overdue }: { assignee: string | null; overdue: boolean }) {
  const what = `No ${overdue ? 'overdue' : 'open'} tasks${assignee ? ` for ${assignee}` : ''}`
  if (!assignee && !overdue) return <Empty>{what}: the playbooks have nothing for anyone to do right now.</Empty>
  return (
    <Empty>
      {what}. <a href={href('tasks')}>Everyone’s open tasks</a>
    </Empty>
  )
}
