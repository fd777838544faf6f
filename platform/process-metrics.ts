import { collectDefaultMetrics, Registry } from 'prom-client'

let processMetrics: Registry | undefined

/**
 * A registry for one platform, holding the process's default metrics (CPU, memory, event-loop lag, GC).
 * prom-client's `collectDefaultMetrics` starts a GC observer and an event-loop-delay monitor on every call
 * and never stops them, and what they measure is the process, not a platform: so they are collected once
 * per process and the same metric objects are registered in each platform's registry (a test process
 * starts many platforms; each would otherwise leave two more monitors running).
 */
export function createPlatformRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry()
    collectDefaultMetrics({ register: processMetrics })
  }
  // merge registers the same metric objects in a new registry: nothing is collected twice.
  return Registry.merge([processMetrics])
}
