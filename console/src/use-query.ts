/** A GraphQL read as page state: loading, its data, or the error to show; `reload` asks again. */
import { useCallback, useEffect, useState } from 'preact/hooks'
import { graphql } from './api.js'

export type QueryState<T> = { status: 'loading' } | { status: 'error'; error: Error } | { status: 'ok'; data: T }

/** `enabled` false holds the request back (e.g. until a more urgent one has been answered). */
export function useQuery<T>(key: string | null, query: string, variables: Record<string, unknown>, enabled = true): QueryState<T> & { reload: () => void } {
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' })
  const [round, setRound] = useState(0)
  const vars = JSON.stringify(variables)
  useEffect(() => {
    if (!enabled) return
    let current = true
    setState((s) => (s.status === 'ok' ? s : { status: 'loading' }))
    graphql<T>(key, query, JSON.parse(vars) as Record<string, unknown>).then(
      (data) => current && setState({ status: 'ok', data }),
      (error: Error) => current && setState({ status: 'error', error }),
    )
    return () => {
      current = false
    }
  }, [key, query, vars, round, enabled])
  const reload = useCallback(() => setRound((r) => r + 1), [])
  return { ...state, reload }
}
