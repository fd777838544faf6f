/** A GraphQL read as page state: loading, its data, or the error to show; `reload` asks again. */
import { useCallback, useEffect, useState } from 'preact/hooks'
import { graphql } from './api.js'

export type QueryState<T> = { status: 'loading' } | { status: 'error'; error: Error } | { status: 'ok'; data: T }

/**
 * Any asynchronous read as page state (useQuery's, and reads of several requests like the playbook counts):
 * `load` is called again when `deps` change or on `reload`; it is told whether its answer is still wanted.
 * `enabled` false holds it back. The last data stays on screen while a new read is under way.
 */
export function useAsync<T>(load: (stillWanted: () => boolean) => Promise<T>, deps: unknown[], enabled = true): QueryState<T> & { reload: () => void } {
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' })
  const [round, setRound] = useState(0)
  useEffect(() => {
    if (!enabled) return
    let current = true
    setState((s) => (s.status === 'ok' ? s : { status: 'loading' }))
    load(() => current).then(
      (data) => current && setState({ status: 'ok', data }),
      (error: Error) => current && setState({ status: 'error', error }),
    )
    return () => {
      current = false
    }
  }, [...deps, round, enabled])
  const reload = useCallback(() => setRound((r) => r + 1), [])
  return { ...state, reload }
}

/** `enabled` false holds the request back (e.g. until a more urgent one has been answered). */
export function useQuery<T>(key: string | null, query: string, variables: Record<string, unknown>, enabled = true): QueryState<T> & { reload: () => void } {
  const vars = JSON.stringify(variables)
  return useAsync(() => graphql<T>(key, query, JSON.parse(vars) as Record<string, unknown>), [key, query, vars], enabled)
}
