/** Hash routes (`#/accounts?tier=Critical`): the page and its parameters live in the URL, so views can be shared and saved. */
import { useEffect, useState } from 'preact/hooks'

export interface Route {
  page: string
  params: URLSearchParams
}

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?')
  return { page: path || 'portfolio', params: new URLSearchParams(query) }
}

export function href(page: string, params: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] != null && e[1] !== '')).toString()
  return `#/${page}${q ? `?${q}` : ''}`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return route
}
