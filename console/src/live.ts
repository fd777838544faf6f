/**
 * Pushes from Pulse (graphql-ws on the API's own path): one socket per key for the whole console, so pages
 * subscribe and unsubscribe freely. The key travels in connection_init, which browsers can send.
 */
import { createClient, type Client } from 'graphql-ws'
import { useEffect } from 'preact/hooks'

let shared: { key: string; client: Client } | null = null

function clientFor(key: string): Client {
  if (shared?.key !== key) {
    shared?.client.dispose()
    const url = new URL('/graphql', location.origin)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    shared = { key, client: createClient({ url: url.toString(), connectionParams: { authorization: `Bearer ${key}` }, lazy: true, retryAttempts: Infinity }) }
  }
  return shared.client
}

/** Calls `onData` with every push of `query` while the component is mounted. */
export function useSubscription<T>(key: string, query: string, variables: Record<string, unknown>, onData: (data: T) => void): void {
  const vars = JSON.stringify(variables)
  useEffect(() => {
    const stop = clientFor(key).subscribe<T>(
      { query, variables: JSON.parse(vars) as Record<string, unknown> },
      { next: (m) => m.data && onData(m.data as T), error: () => undefined, complete: () => undefined },
    )
    return stop
    // Subscribed once per key, query and variables, with the onData of that render: re-subscribing on every
    // render would drop pushes in between, so pages pass callbacks that stay valid (a query's reload).
  }, [key, query, vars])
}
