import path from 'node:path'
import { parseScopes, splitApiKeyEntry, UNSCOPED, type ConfiguredKey } from '../runtime/auth/index.js'
import { DEFAULT_LIMITS, type EnvelopeLimits } from '../gateway/track-request.js'
import { DEFAULT_ACCOUNT_PATHS } from '../gateway/segment/message.js'
import { loadScorecard, ScorecardError, type LoadedScorecard } from '../processors/scoring/index.js'
import { deliveryEndpoints, loadRules, RulesError, type DeliveryEndpoint, type LoadedRules } from '../processors/playbooks/index.js'
import { DEFAULT_TARGETS, type KpiTargets } from '../processors/kpis/formulas.js'
import { parseTargets } from '../processors/kpis/targets.js'
import { readCatalog } from '../schemas/index.js'
import { parseDuration } from '../runtime/duration.js'

export { parseDuration }

/** Everything Pulse reads from its environment, validated once at start-up. */
export const COMPONENTS = ['registry', 'gateway', 'processor', 'scoring', 'churn', 'playbooks', 'graphql'] as const
export type Component = (typeof COMPONENTS)[number]

export interface PulseConfig {
  /** Which parts this process runs; all by default. */
  components: Set<Component>
  dataDir: string
  host: string
  /** `metrics`: where a process without the gateway serves `/metrics` (the gateway serves it otherwise). */
  ports: { gateway: number; registry: number; graphql: number; kafka: number; redis: number; metrics: number }
  /** Unset: `pulse dev` launches a local broker. */
  kafkaBrokers?: string[]
  /** Unset: `pulse dev` launches a local redis-server. */
  redisUrl?: string
  /** Unset: embedded chDB under `<dataDir>/clickhouse`. */
  clickhouseUrl?: string
  /** Unset: the built-in registry on `ports.registry`. */
  registryUrl?: string
  /** name → secret and scopes. Unset: `pulse dev` makes one key with every scope and prints it. */
  apiKeys?: Map<string, ConfiguredKey>
  /**
   * The secret this process presents to Pulse services it does not run itself (a registry elsewhere). Unset:
   * its own key when the registry runs here, else the first PULSE_API_KEYS entry with admin (or any entry).
   */
  serviceKey?: string
  /** The registry answers reads (GETs, lookups, compatibility checks) without a key; writes still need admin. */
  registryOpenReads: boolean
  eventsTopic: string
  /** Kafka topic of aggregated drift records (gateway refusals). */
  driftTopic: string
  /** Kafka topic of records the processor could not decode or store. */
  dlqTopic: string
  /** Kafka topic where the processor parks events the gateway marked for verification until they are checked against the store. */
  verifyTopic: string
  /** Kafka consumer group of the event processor. */
  consumerGroup: string
  /** Prefix of every Redis key and pub/sub channel Pulse uses, so installations can share a Redis. */
  redisPrefix: string
  logLevel: string
  /** How long an event may wait for others to share its Kafka produce request. */
  produceLingerMs: number
  /** Scoring jobs for one account that arrive within this window collapse into one. */
  scoringDebounceMs: number
  /** The scorecard health scores are computed with (file or preset, with weights from the environment). */
  scorecard: LoadedScorecard
  /** Alert rules and lifecycle playbooks (file or preset), validated against the scorecard's tiers and the catalog. */
  rules: LoadedRules
  /** The rules file's alert endpoints with their URLs and signing secrets read from the environment. */
  webhookEndpoints: DeliveryEndpoint[]
  /** The console's base URL: alerts link to `<url>/accounts/<id>`. Unset: no link. */
  consoleUrl?: string
  /** Cadence of the sweep that re-scores every account, so silent accounts decay. */
  sweepEveryMs: number
  /** Least time between two evaluations of the rules after event-driven scoring passes (0: after every pass). */
  playbooksEveryMs: number
  /** Churn model: the horizon it predicts over and the cadence of its scheduled training. */
  churn: { horizonDays: number; trainEveryMs: number }
  /** GraphQL API: the longest one ClickHouse query of a request may run before the request gets a TIMEOUT error. */
  graphql: { queryTimeoutMs: number; ttvMilestone?: string; kpiTargets: KpiTargets }
  /** A processor batch is handed over once this many bytes are waiting or `maxWaitMs` passed, whichever first. */
  processorBatch: { minBytes: number; maxWaitMs: number }
  /** Event subjects whose undeclared properties are accepted and reported as drift instead of refused. */
  lenientSubjects: Set<string>
  /** Gateway requests one API key may make per window. */
  rateLimit: { max: number; windowMs: number }
  /** What the gateway accepts: timestamp window, properties depth and string length. */
  limits: EnvelopeLimits
  /**
   * Where the gateway reads a Segment message's account when it has no `context.groupId`: dot paths into the
   * message (under properties, traits or context), tried in order.
   * @defaultValue DEFAULT_ACCOUNT_PATHS: properties.accountId, traits.accountId, then context.traits.accountId
   */
  segmentAccountPaths: string[]
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Pure: turns an environment into a config, or throws a ConfigError listing every problem. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): PulseConfig {
  const problems: string[] = []

  const port = (name: string, fallback: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      problems.push(`${name} must be a port number 0-65535 (0 = any free port), got "${raw}"`)
      return fallback
    }
    return n
  }
  const positiveInt = (name: string, fallback: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 0) {
      problems.push(`${name} must be a whole number ≥ 0, got "${raw}"`)
      return fallback
    }
    return n
  }
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return undefined
    try {
      const u = new URL(raw)
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}, got "${raw}"`)
    } catch {
      problems.push(`${name} must be a URL, got "${raw}"`)
    }
    return raw.replace(/\/+$/, '')
  }

  const duration = (name: string, fallback: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const ms = parseDuration(raw)
    if (ms === undefined) {
      problems.push(`${name} must be a duration such as 30d, 12h, 90m, 45s or a number of milliseconds, got "${raw}"`)
      return fallback
    }
    return ms
  }

  const kpiTargets = (): KpiTargets => {
    try {
      return parseTargets(env.PULSE_KPI_TARGETS)
    } catch (err) {
      problems.push(`PULSE_KPI_TARGETS: ${(err as Error).message.replace(/^targets: /, '')}`)
      return DEFAULT_TARGETS
    }
  }
  const rateLimit = () => {
    const raw = env.PULSE_RATE_LIMIT || '500/1s'
    const m = /^(\d+)\s*\/\s*(.+)$/.exec(raw)
    const windowMs = m ? parseDuration(m[2]) : undefined
    if (!m || !windowMs || Number(m[1]) < 1) {
      problems.push(`PULSE_RATE_LIMIT must be requests/window such as 500/1s or 6000/1m, got "${raw}"`)
      return { max: 500, windowMs: 1000 }
    }
    return { max: Number(m[1]), windowMs }
  }

  const segmentAccountPaths = (): string[] => {
    const raw = env.PULSE_SEGMENT_ACCOUNT_PATH?.trim()
    if (!raw) return [...DEFAULT_ACCOUNT_PATHS]
    const paths = raw.split(',').map((p) => p.trim()).filter(Boolean)
    // Only where a message carries its own data: the account is never read from the envelope's ids or timestamps.
    const bad = paths.filter((p) => !/^(properties|traits|context)(\.[A-Za-z0-9_$-]+)+$/.test(p) || p.split('.').some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype'))
    if (!paths.length || bad.length) {
      problems.push(`PULSE_SEGMENT_ACCOUNT_PATH must be comma-separated dot paths under properties, traits or context, such as properties.accountId or traits.company.id; got "${bad.join(', ') || raw}"`)
      return [...DEFAULT_ACCOUNT_PATHS]
    }
    return paths
  }

  let kafkaBrokers: string[] | undefined
  if (env.PULSE_KAFKA_BROKERS) {
    kafkaBrokers = env.PULSE_KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean)
    for (const b of kafkaBrokers) {
      if (!/^[^:\s]+:\d+$/.test(b)) problems.push(`PULSE_KAFKA_BROKERS entries must be host:port, got "${b}"`)
    }
  }

  let apiKeys: Map<string, ConfiguredKey> | undefined
  if (env.PULSE_API_KEYS) {
    apiKeys = new Map()
    for (const entry of env.PULSE_API_KEYS.split(',').map((e) => e.trim()).filter(Boolean)) {
      const { name, secret, scopes: last, parts } = splitApiKeyEntry(entry)
      const scopes = last ? parseScopes(last) : { scopes: [...UNSCOPED] }
      if (parts < 2 || !name || secret.length < 8) {
        problems.push(`PULSE_API_KEYS entries must be name:secret or name:secret:scopes with a secret of at least 8 characters, got "${name && parts > 1 ? `${name}:…` : entry}"`)
      } else if ('error' in scopes) {
        problems.push(`PULSE_API_KEYS entry "${name}:…:${last}": ${scopes.error}`)
      } else if (name === 'pulse-internal') {
        problems.push('PULSE_API_KEYS: the name "pulse-internal" is reserved for the key each Pulse process makes for itself')
      } else if (apiKeys.has(name)) {
        problems.push(`PULSE_API_KEYS names key "${name}" twice`)
      } else {
        apiKeys.set(name, { secret, scopes: scopes.scopes })
      }
    }
  }

  const flag = (name: string): boolean => {
    const raw = (env[name] ?? '').trim().toLowerCase()
    if (raw === '' || raw === 'false' || raw === '0') return false
    if (raw === 'true' || raw === '1') return true
    problems.push(`${name} must be true or false, got "${env[name]}"`)
    return false
  }

  const logLevel = env.PULSE_LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`PULSE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)

  const eventsTopic = env.PULSE_EVENTS_TOPIC || 'pulse.events'
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(eventsTopic)) problems.push(`PULSE_EVENTS_TOPIC is not a valid Kafka topic name: "${eventsTopic}"`)

  const components = new Set<Component>()
  for (const c of (env.PULSE_COMPONENTS || COMPONENTS.join(',')).split(',').map((x) => x.trim()).filter(Boolean)) {
    if ((COMPONENTS as readonly string[]).includes(c)) components.add(c as Component)
    else problems.push(`PULSE_COMPONENTS lists "${c}"; the components are ${COMPONENTS.join(', ')}`)
  }
  if (!components.has('registry') && !env.PULSE_REGISTRY_URL) {
    problems.push('PULSE_COMPONENTS leaves out the registry, so PULSE_REGISTRY_URL must name the registry to use')
  }

  let scorecard: LoadedScorecard | undefined
  try {
    scorecard = loadScorecard({ config: env.PULSE_SCORING_CONFIG || undefined, cwd, env })
  } catch (err) {
    if (!(err instanceof ScorecardError)) throw err
    problems.push(...err.problems)
  }

  let rules: LoadedRules | undefined
  if (scorecard) {
    try {
      rules = loadRules({ scorecard: scorecard.card, config: env.PULSE_RULES_CONFIG || undefined, cwd, subjects: readCatalog().map((e) => e.subject) })
    } catch (err) {
      if (!(err instanceof RulesError)) throw err
      problems.push(...err.problems)
    }
    // Secrets stay in the environment; an endpoint naming a variable that is not set could never deliver.
    for (const [name, e] of Object.entries(rules?.rules.endpoints ?? {})) {
      if ('env' in e.url && !env[e.url.env]) problems.push(`rules endpoint "${name}" reads its URL from ${e.url.env}, which is not set`)
      if (e.secretEnv && !env[e.secretEnv]) problems.push(`rules endpoint "${name}" reads its signing secret from ${e.secretEnv}, which is not set`)
    }
  }

  const config: PulseConfig = {
    components,
    dataDir: path.resolve(env.PULSE_DATA_DIR || './.pulse'),
    host: env.PULSE_HOST || '127.0.0.1',
    ports: {
      gateway: port('PULSE_GATEWAY_PORT', 8080),
      registry: port('PULSE_REGISTRY_PORT', 8081),
      graphql: port('PULSE_GRAPHQL_PORT', 4000),
      kafka: port('PULSE_KAFKA_PORT', 0),
      redis: port('PULSE_REDIS_PORT', 0),
      // 9464: the port OpenTelemetry's Prometheus exporter uses, so a scrape config written for it finds Pulse.
      metrics: port('PULSE_METRICS_PORT', 9464),
    },
    kafkaBrokers,
    redisUrl: url('PULSE_REDIS_URL', ['redis:', 'rediss:']),
    clickhouseUrl: url('PULSE_CLICKHOUSE_URL', ['http:', 'https:']),
    registryUrl: url('PULSE_REGISTRY_URL', ['http:', 'https:']),
    apiKeys,
    serviceKey: env.PULSE_API_KEY?.trim() || undefined,
    registryOpenReads: flag('PULSE_REGISTRY_OPEN_READS'),
    eventsTopic,
    driftTopic: env.PULSE_DRIFT_TOPIC || `${eventsTopic}.drift`,
    dlqTopic: env.PULSE_DLQ_TOPIC || `${eventsTopic}.dlq`,
    verifyTopic: env.PULSE_VERIFY_TOPIC || `${eventsTopic}.verify`,
    consumerGroup: env.PULSE_CONSUMER_GROUP || 'pulse-processor',
    redisPrefix: env.PULSE_REDIS_PREFIX || 'pulse',
    logLevel,
    produceLingerMs: positiveInt('PULSE_PRODUCE_LINGER_MS', 5),
    scoringDebounceMs: positiveInt('PULSE_SCORING_DEBOUNCE_MS', 250),
    scorecard: scorecard!,
    rules: rules!,
    webhookEndpoints: deliveryEndpoints(rules?.rules.endpoints ?? {}, env),
    consoleUrl: url('PULSE_CONSOLE_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
    sweepEveryMs: duration('PULSE_SCORING_SWEEP_EVERY', 3_600_000),
    playbooksEveryMs: duration('PULSE_PLAYBOOKS_EVERY', 3_000),
    churn: { horizonDays: Math.round(duration('PULSE_CHURN_HORIZON', 90 * 86_400_000) / 86_400_000), trainEveryMs: duration('PULSE_CHURN_TRAIN_EVERY', 7 * 86_400_000) },
    graphql: { queryTimeoutMs: duration('PULSE_GRAPHQL_QUERY_TIMEOUT', 10_000), ttvMilestone: env.PULSE_TTV_MILESTONE?.trim() || undefined, kpiTargets: kpiTargets() },
    processorBatch: { minBytes: positiveInt('PULSE_PROCESSOR_BATCH_BYTES', 256 * 1024), maxWaitMs: duration('PULSE_PROCESSOR_BATCH_WAIT', 100) },
    rateLimit: rateLimit(),
    lenientSubjects: new Set((env.PULSE_LENIENT_SUBJECTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    segmentAccountPaths: segmentAccountPaths(),
    limits: {
      ...DEFAULT_LIMITS,
      maxPastMs: duration('PULSE_MAX_EVENT_AGE', DEFAULT_LIMITS.maxPastMs),
      maxFutureMs: duration('PULSE_MAX_CLOCK_SKEW', DEFAULT_LIMITS.maxFutureMs),
    },
  }
  if (config.sweepEveryMs < 1000) problems.push(`PULSE_SCORING_SWEEP_EVERY must be at least 1s, got "${env.PULSE_SCORING_SWEEP_EVERY}"`)
  if (config.churn.horizonDays < 1) problems.push(`PULSE_CHURN_HORIZON must be at least 1d, got "${env.PULSE_CHURN_HORIZON}"`)
  if (config.churn.trainEveryMs < 60_000) problems.push(`PULSE_CHURN_TRAIN_EVERY must be at least 1m, got "${env.PULSE_CHURN_TRAIN_EVERY}"`)
  if (config.graphql.queryTimeoutMs < 1000) problems.push(`PULSE_GRAPHQL_QUERY_TIMEOUT must be at least 1s, got "${env.PULSE_GRAPHQL_QUERY_TIMEOUT}"`)
  if (problems.length) throw new ConfigError(problems)
  return config
}
