import { Counter } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createPlatformRegistry } from '../../platform/process-metrics.js'

describe('platform registries', () => {
  it('share one set of process metrics, collected once', async () => {
    const first = createPlatformRegistry()
    const second = createPlatformRegistry()
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'nodejs_heap_size_used_bytes']) {
      const metric = first.getSingleMetric(name)
      expect(metric, name).toBeDefined()
      expect(second.getSingleMetric(name), name).toBe(metric)
    }
    expect(await second.metrics()).toMatch(/^process_resident_memory_bytes \d+/m)
  })

  it("keep each platform's own metrics to itself", async () => {
    const first = createPlatformRegistry()
    const second = createPlatformRegistry()
    new Counter({ name: 'pulse_test_only_total', help: 'a platform-local counter', registers: [first] }).inc()
    expect(await first.metrics()).toContain('pulse_test_only_total 1')
    expect(second.getSingleMetric('pulse_test_only_total')).toBeUndefined()
  })
})
