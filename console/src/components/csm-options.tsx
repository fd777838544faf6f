/** The CSMs a view can be narrowed to (GraphQL `csms`: the csmIds of the accounts' profiles), for the pickers. */
import { useQuery } from '../use-query.js'

const CSMS = 'query Csms { csms }'

/**
 * The CSM ids in order; the chosen one stays listed while they load or if no profile names it any more.
 * `enabled` false holds the request back (a page whose own data matters first).
 */
export function useCsms(apiKey: string, chosen: string | null, enabled = true): string[] {
  const q = useQuery<{ csms: string[] }>(apiKey, CSMS, {}, enabled)
  return listedWithChosen(q.status === 'ok' ? q.data.csms : [], chosen)
}

/** A picker's choices with the chosen one among them even when it is not (yet) listed: a view from a URL shows what it is. */
export function listedWithChosen(choices: string[], chosen: string | null): string[] {
  return chosen && !choices.includes(chosen) ? [chosen, ...choices] : choices
}
