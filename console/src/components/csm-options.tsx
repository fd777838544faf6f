/** The CSMs a view can be narrowed to (GraphQL `csms`: the csmIds of the accounts' profiles), for the pickers. */
import { useQuery } from '../use-query.js'

const CSMS = 'query Csms { csms }'

/** The CSM ids in order; the chosen one stays listed while they load or if no profile names it any more. */
export function useCsms(apiKey: string, chosen: string | null): string[] {
  const q = useQuery<{ csms: string[] }>(apiKey, CSMS, {})
  const csms = q.status === 'ok' ? q.data.csms : []
  return chosen && !csms.includes(chosen) ? [chosen, ...csms] : csms
}
