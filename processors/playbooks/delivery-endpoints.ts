import type { Endpoint } from './rules.js'
import type { DeliveryEndpoint } from './webhook-delivery.js'

/**
 * Pure: the rules file's endpoints with their URLs and secrets read from the environment. A secret variable
 * may hold several secrets separated by commas, newest first: each delivery is signed with all of them
 * (several `v1=`), so a receiver can move to a new secret without missing a delivery.
 */
export function deliveryEndpoints(endpoints: Record<string, Endpoint>, env: Record<string, string | undefined>): DeliveryEndpoint[] {
  return Object.entries(endpoints).map(([name, e]) => ({
    name,
    kind: e.type,
    url: 'value' in e.url ? e.url.value : (env[e.url.env] ?? '').trim(),
    secrets: e.secretEnv ? (env[e.secretEnv] ?? '').split(',').map((s) => s.trim()).filter(Boolean) : [],
  }))
}
