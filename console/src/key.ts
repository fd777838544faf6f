/**
 * The API key the console uses: handed over in the URL's fragment by `pulse dev` (`#key=…`, never sent to a
 * server, removed from the address bar at once) or pasted once; kept in this tab's session storage.
 */
const STORAGE = 'pulse.apiKey'

/** Takes a key handed over in the fragment (at load, or pasted into the address bar later); returns it. */
export function takeKeyFromLocation(): string | null {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash)
  if (!match) return null
  const key = decodeURIComponent(match[1])
  sessionStorage.setItem(STORAGE, key)
  const rest = location.hash.replace(/(^#|&)key=[^&]+/, '$1').replace(/^#&/, '#')
  history.replaceState(null, '', rest === '#' ? location.pathname : `${location.pathname}${rest}`)
  return key
}

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE)
export const storeKey = (key: string): void => sessionStorage.setItem(STORAGE, key.trim())
export const forgetKey = (): void => sessionStorage.removeItem(STORAGE)
