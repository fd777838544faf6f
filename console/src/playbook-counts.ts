/**
 * An owner's open tasks counted per playbook (the rule that opened them), for the Tasks page's summary. The API
 * has no grouped count of tasks, so this pages through the owner's open tasks (two fields each) and groups them
 * here; past MAX_PAGES it stops and says how many it counted, rather than keep a busy server at it.
 */
import { graphql, type Connection } from './api.js'
import { useAsync, type QueryState } from './use-query.js'

const QUERY = `query PlaybookTasks($filter: TaskFilter, $after: String) {
  tasks(filter: $filter, first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ruleId overdue } }
  }
}`

/** 20 pages of 100: an owner's whole list in practice; everyone's on a large portfolio may be cut short. */
const MAX_PAGES = 20

export interface PlaybookCount {
  ruleId: string
  open: number
  overdue: number
}

export interface PlaybookCounts {
  playbooks: PlaybookCount[]
  /** Open tasks counted; less than `total` only when MAX_PAGES was reached. */
  counted: number
  total: number
}

/** Most open tasks first, then by id, so the order holds still between reloads. */
export function countByPlaybook(tasks: { ruleId: string; overdue: boolean }[]): PlaybookCount[] {
  const byRule = new Map<string, PlaybookCount>()
  for (const t of tasks) {
    const c = byRule.get(t.ruleId) ?? { ruleId: t.ruleId, open: 0, overdue: 0 }
    c.open++
    if (t.overdue) c.overdue++
    byRule.set(t.ruleId, c)
  }
  return [...byRule.values()].sort((a, b) => b.open - a.open || a.ruleId.localeCompare(b.ruleId))
}

async function readCounts(apiKey: string, assignee: string | null, stillWanted: () => boolean): Promise<PlaybookCounts> {
  const filter = { statuses: ['OPEN'], assignees: assignee ? [assignee] : null }
  const tasks: { ruleId: string; overdue: boolean }[] = []
  let after: string | null = null
  let total = 0
  for (let page = 0; page < MAX_PAGES && stillWanted(); page++) {
    const { tasks: got }: { tasks: Connection<{ ruleId: string; overdue: boolean }> } = await graphql(apiKey, QUERY, { filter, after })
    total = got.totalCount ?? 0
    tasks.push(...got.edges.map((e) => e.node))
    if (!got.pageInfo.hasNextPage || !got.pageInfo.endCursor) break
    after = got.pageInfo.endCursor
  }
  return { playbooks: countByPlaybook(tasks), counted: tasks.length, total }
}

/** The counts for one owner (null: everyone); `reload` counts again (after a task is done, or a new one arrives). */
export function usePlaybookCounts(apiKey: string, assignee: string | null): QueryState<PlaybookCounts> & { reload: () => void } {
  return useAsync((stillWanted) => readCounts(apiKey, assignee, stillWanted), [apiKey, assignee])
}
