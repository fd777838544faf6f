import { loadConfig, type PulseConfig } from '../../platform/config.js'

/**
 * The config of a platform a bench starts in its own process: data in `dataDir`, the bench key `key`, free
 * ports, no rate limit worth the name and error-level logs; `env` adds to or overrides that (the child-process
 * counterpart is `startPulseDev`).
 */
export function benchPlatformConfig(dataDir: string, key: string, env: Record<string, string> = {}): PulseConfig {
  return loadConfig({
    PULSE_DATA_DIR: dataDir,
    PULSE_API_KEYS: `bench:${key}`,
    PULSE_GATEWAY_PORT: '0',
    PULSE_REGISTRY_PORT: '0',
    PULSE_GRAPHQL_PORT: '0',
    PULSE_RATE_LIMIT: '1000000/1s',
    PULSE_LOG_LEVEL: 'error',
    ...env,
  })
}
