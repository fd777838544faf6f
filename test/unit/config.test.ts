import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseDuration } from '../../platform/config.js'

describe('loadConfig', () => {
  it('has working defaults for a bare environment', () => {
    const c = loadConfig({})
    expect(c.ports).toMatchObject({ gateway: 8080, registry: 8081, graphql: 4000 })
    expect(c.eventsTopic).toBe('pulse.events')
    expect(c.kafkaBrokers).toBeUndefined()
    expect(c.apiKeys).toBeUndefined()
    expect(c.dataDir).toMatch(/\.pulse$/)
  })

  it('reads the scorecard once, from a preset name, a file or ./pulse.scoring.yaml, with the sweep cadence', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-cfg-'))
    expect(loadConfig({}, dir).scorecard.source).toBe('preset pulse')
    expect(loadConfig({ PULSE_SCORING_CONFIG: 'points-5' }, dir).scorecard.card.name).toBe('points-5')
    fs.writeFileSync(path.join(dir, 'pulse.scoring.yaml'), 'preset: pillars-3\n')
    expect(loadConfig({}, dir).scorecard.card.name).toBe('pillars-3')
    expect(loadConfig({ PULSE_SCORING_SWEEP_EVERY: '15m' }, dir).sweepEveryMs).toBe(900_000)
  })

  it('refuses to start on a bad scorecard or weight override, with the other problems', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-cfg-'))
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'preset: points-5\ncoverage: { minimum: 2 }\n')
    expect(() => loadConfig({ PULSE_SCORING_CONFIG: 'bad.yaml', PULSE_GATEWAY_PORT: 'x' }, dir)).toThrow(ConfigError)
    try {
      loadConfig({ PULSE_SCORING_CONFIG: 'bad.yaml', PULSE_GATEWAY_PORT: 'x' }, dir)
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        expect.stringMatching(/bad\.yaml:2: coverage\.minimum must be a share between 0 and 1, got 2$/),
        'PULSE_GATEWAY_PORT must be a port number 0-65535 (0 = any free port), got "x"',
      ])
    }
    expect(() => loadConfig({ PULSE_SCORING_CONFIG: 'points-5', PULSE_SCORING_WEIGHT_SUPPORT: '25' }, dir)).toThrow(/PULSE_SCORING_WEIGHT_SUPPORT=25/)
    expect(() => loadConfig({ PULSE_SCORING_CONFIG: 'nowhere.yaml' }, dir)).toThrow(/PULSE_SCORING_CONFIG names "nowhere.yaml", which is neither a file nor a preset/)
  })

  it('reads the alert rules and playbooks once, validated with the scorecard, and refuses to start on a bad file', () => {
    expect(loadConfig({}).rules.source).toBe('preset default')
    // The defaults name tiers by position: they hold with pillars-3's Green/Yellow/Red too.
    expect(loadConfig({ PULSE_SCORING_CONFIG: 'pillars-3' }).rules.rules.rules.length).toBeGreaterThan(5)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-cfg-'))
    fs.writeFileSync(path.join(dir, 'pulse.rules.yaml'), 'preset: default\ndisable: [score-above-80]\n')
    expect(loadConfig({}, dir).rules.rules.rules.map((r) => r.id)).not.toContain('score-above-80')
    fs.writeFileSync(path.join(dir, 'bad.rules.yaml'), 'rules:\n  - id: r\n    when: { score: { below: 160 } }\n    actions: [ { alert: { severity: loud, to: csm } } ]\n')
    expect(() => loadConfig({ PULSE_RULES_CONFIG: 'bad.rules.yaml', PULSE_LOG_LEVEL: 'chatty' }, dir)).toThrow(ConfigError)
    try {
      loadConfig({ PULSE_RULES_CONFIG: 'bad.rules.yaml', PULSE_LOG_LEVEL: 'chatty' }, dir)
    } catch (err) {
      const problems = (err as ConfigError).problems
      expect(problems.some((p) => p.includes('PULSE_LOG_LEVEL'))).toBe(true)
      expect(problems.filter((p) => p.includes('bad.rules.yaml:')).length).toBe(2)
      expect(problems.join('\n')).toMatch(/bad\.rules\.yaml:3: rule "r", when\.score\.below: .*160/)
      expect(problems.join('\n')).toMatch(/bad\.rules\.yaml:4: rule "r", actions\[0\]\.alert\.severity: .*loud/)
    }
    expect(() => loadConfig({ PULSE_RULES_CONFIG: 'nowhere.yaml' }, dir)).toThrow('PULSE_RULES_CONFIG names "nowhere.yaml", which is neither a file nor a preset')
    fs.writeFileSync(path.join(dir, 'hooks.rules.yaml'), 'preset: default\nendpoints:\n  crm: { type: webhook, url: https://crm.example.com/pulse, secretEnv: CRM_HOOK_SECRET }\n')
    expect(() => loadConfig({ PULSE_RULES_CONFIG: 'hooks.rules.yaml' }, dir)).toThrow('rules endpoint "crm" reads its signing secret from CRM_HOOK_SECRET, which is not set')
    expect(loadConfig({ PULSE_RULES_CONFIG: 'hooks.rules.yaml', CRM_HOOK_SECRET: 'whsec_1' }, dir).rules.rules.endpoints.crm).toBeDefined()
  })

  it('reads API keys and brokers', () => {
    const c = loadConfig({ PULSE_API_KEYS: 'billing:secret-one1,web:secret-two2', PULSE_KAFKA_BROKERS: 'a:9092, b:9093' })
    expect([...c.apiKeys!]).toEqual([['billing', { secret: 'secret-one1', scopes: ['track', 'read'] }], ['web', { secret: 'secret-two2', scopes: ['track', 'read'] }]])
    const scoped = loadConfig({ PULSE_API_KEYS: 'importer:secret-three:track+backfill,odd:pass:word:2024' })
    expect([...scoped.apiKeys!]).toEqual([['importer', { secret: 'secret-three', scopes: ['track', 'backfill'] }], ['odd', { secret: 'pass:word:2024', scopes: ['track', 'read'] }]])
    expect(() => loadConfig({ PULSE_API_KEYS: 'importer:secret-three:track+history' })).toThrow('PULSE_API_KEYS entry "importer:…:track+history": unknown scope "history"; scopes are track, backfill, read, write, admin, joined with + (e.g. track+backfill)')
    expect([...loadConfig({ PULSE_API_KEYS: 'ops:secret-four:admin+read+write' }).apiKeys!]).toEqual([['ops', { secret: 'secret-four', scopes: ['admin', 'read', 'write'] }]])
    expect(loadConfig({ PULSE_API_KEY: ' pk_own ', PULSE_REGISTRY_OPEN_READS: 'true' })).toMatchObject({ serviceKey: 'pk_own', registryOpenReads: true })
    expect(loadConfig({}).registryOpenReads).toBe(false)
    expect(() => loadConfig({ PULSE_REGISTRY_OPEN_READS: 'yes' })).toThrow('PULSE_REGISTRY_OPEN_READS must be true or false, got "yes"')
    expect(loadConfig({ PULSE_KPI_TARGETS: 'nps=40,ttv=5' }).graphql.kpiTargets).toMatchObject({ nps: 40, timeToValueDays: 5, csatAverage: 4.5 })
    expect(() => loadConfig({ PULSE_KPI_TARGETS: 'churn=3' })).toThrow('PULSE_KPI_TARGETS: unknown metric "churn" in "churn=3"; use nps, csat, ttv, adoption, expansion, nrr')
    expect(() => loadConfig({ PULSE_API_KEYS: 'pulse-internal:secret-five' })).toThrow('PULSE_API_KEYS: the name "pulse-internal" is reserved for the key each Pulse process makes for itself')
    expect(c.kafkaBrokers).toEqual(['a:9092', 'b:9093'])
  })

  it('reads where Segment messages name their account, refusing paths outside a message\'s own data', () => {
    expect(loadConfig({}).segmentAccountPaths).toEqual(['properties.accountId', 'traits.accountId', 'context.traits.accountId'])
    expect(loadConfig({ PULSE_SEGMENT_ACCOUNT_PATH: ' properties.company.id, traits.companyId ' }).segmentAccountPaths).toEqual(['properties.company.id', 'traits.companyId'])
    for (const bad of ['userId', 'properties', 'properties..id', 'properties.__proto__.x', 'messageId.x']) {
      expect(() => loadConfig({ PULSE_SEGMENT_ACCOUNT_PATH: bad }), bad).toThrow('PULSE_SEGMENT_ACCOUNT_PATH must be comma-separated dot paths under properties, traits or context')
    }
  })

  it('reports every problem at once', () => {
    let err: ConfigError | undefined
    try {
      loadConfig({ PULSE_GATEWAY_PORT: 'eighty', PULSE_API_KEYS: 'nosecret', PULSE_REDIS_URL: 'http://x', PULSE_LOG_LEVEL: 'loud' })
    } catch (e) {
      err = e as ConfigError
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.problems).toHaveLength(4)
    expect(err!.message).toContain('PULSE_GATEWAY_PORT')
    expect(err!.message).toContain('PULSE_API_KEYS')
    expect(err!.message).toContain('PULSE_REDIS_URL must use redis:')
    expect(err!.message).not.toContain('nosecret:')
  })

  it('reads the processor batching knobs, with size-or-time defaults', () => {
    expect(loadConfig({}).processorBatch).toEqual({ minBytes: 262144, maxWaitMs: 100 })
    expect(loadConfig({ PULSE_PROCESSOR_BATCH_BYTES: '1048576', PULSE_PROCESSOR_BATCH_WAIT: '2s' }).processorBatch).toEqual({ minBytes: 1048576, maxWaitMs: 2000 })
    expect(() => loadConfig({ PULSE_PROCESSOR_BATCH_BYTES: 'lots' })).toThrow(/PULSE_PROCESSOR_BATCH_BYTES must be a whole number/)
  })

  it('reads the churn horizon and training cadence, and refuses nonsense', () => {
    expect(loadConfig({}).churn).toEqual({ horizonDays: 90, trainEveryMs: 7 * 86_400_000 })
    expect(loadConfig({ PULSE_CHURN_HORIZON: '30d', PULSE_CHURN_TRAIN_EVERY: '1d' }).churn).toEqual({ horizonDays: 30, trainEveryMs: 86_400_000 })
    expect(() => loadConfig({ PULSE_CHURN_HORIZON: '1h', PULSE_CHURN_TRAIN_EVERY: '5s' })).toThrow(/PULSE_CHURN_HORIZON must be at least 1d[\s\S]*PULSE_CHURN_TRAIN_EVERY must be at least 1m/)
    expect(loadConfig({}).components.has('churn')).toBe(true)
  })

  it('reads where a process without the gateway serves /metrics', () => {
    expect(loadConfig({}).ports.metrics).toBe(9464)
    expect(loadConfig({ PULSE_METRICS_PORT: '0' }).ports.metrics).toBe(0)
    expect(() => loadConfig({ PULSE_METRICS_PORT: '99999' })).toThrow('PULSE_METRICS_PORT must be a port number 0-65535 (0 = any free port), got "99999"')
  })

  it('rejects a duplicated key name', () => {
    expect(() => loadConfig({ PULSE_API_KEYS: 'a:12345678,a:87654321' })).toThrow(/names key "a" twice/)
  })
})

describe('durations', () => {
  it('parses the units people write', () => {
    expect(['30d', '12h', '90m', '45s', '250ms', '1500', '1.5h', 'soon'].map(parseDuration)).toEqual([2_592_000_000, 43_200_000, 5_400_000, 45_000, 250, 1500, 5_400_000, undefined])
    expect(loadConfig({ PULSE_MAX_EVENT_AGE: '90d' }).limits.maxPastMs).toBe(90 * 86_400_000)
    expect(() => loadConfig({ PULSE_MAX_CLOCK_SKEW: 'a while' })).toThrow(/PULSE_MAX_CLOCK_SKEW must be a duration/)
    expect(loadConfig({ PULSE_RATE_LIMIT: '6000/1m' }).rateLimit).toEqual({ max: 6000, windowMs: 60_000 })
    expect(loadConfig({}).rateLimit).toEqual({ max: 500, windowMs: 1000 })
    expect(() => loadConfig({ PULSE_RATE_LIMIT: 'lots' })).toThrow(/PULSE_RATE_LIMIT must be requests\/window/)
    expect(() => loadConfig({ PULSE_COMPONENTS: 'gateway,teleporter' })).toThrow(/"teleporter"/)
    expect(() => loadConfig({ PULSE_COMPONENTS: 'processor' })).toThrow(/PULSE_REGISTRY_URL must name the registry/)
  })
})
