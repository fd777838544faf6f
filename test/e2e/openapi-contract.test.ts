import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../../platform/config.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { createLogger } from '../../runtime/logger.js'
import { tempDir, uniqueName } from '../support/fixtures.js'
import { pythonSupportFile, pythonTools } from '../support/python.js'

const API_KEY = 'contract-secret-key'
/** Fixed, so a run can be repeated; PULSE_CONTRACT_SEED explores others (a failure prints the seed to reuse). */
const SEED = process.env.PULSE_CONTRACT_SEED ?? '1'
/** Test cases per operation and phase; about a minute on two cores. */
const MAX_EXAMPLES = process.env.PULSE_CONTRACT_MAX_EXAMPLES ?? '100'

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
}

/**
 * The gateway's /openapi.json against the gateway itself, the way a user of a generated client or a contract
 * tester meets it: Schemathesis with every check, in every phase, on the real platform (Kafka, Redis, the
 * registry with the catalog, a processor writing to ClickHouse).
 */
describe('the OpenAPI document is what the gateway does (Schemathesis)', () => {
  let platform: Platform

  beforeAll(async () => {
    const config = loadConfig({
      PULSE_COMPONENTS: 'registry,gateway,processor',
      PULSE_DATA_DIR: tempDir(),
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      // A plain key: the track scope, so the timestamp window is the live one.
      PULSE_API_KEYS: `contract:${API_KEY}`,
      // One lenient event: its undeclared properties are accepted within the envelope limits, and the document says so.
      PULSE_LENIENT_SUBJECTS: 'email_engaged',
      PULSE_EVENTS_TOPIC: uniqueName('pulse.events.contract'),
      PULSE_CONSUMER_GROUP: uniqueName('processor'),
      PULSE_REDIS_PREFIX: uniqueName('contract'),
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_LOG_LEVEL: 'silent',
    })
    platform = await startPlatform(config, createLogger(config.logLevel))
  })
  afterAll(async () => {
    await platform?.stop()
  })

  it('passes every Schemathesis check in the examples, coverage, fuzzing and stateful phases', { timeout: 600_000 }, async () => {
    const { st } = pythonTools()
    const args = [
      'run', `${platform.endpoints.gateway}/openapi.json`,
      '--checks', 'all',
      '--phases', 'examples,coverage,fuzzing,stateful',
      '--header', `Authorization: Bearer ${API_KEY}`,
      '--max-examples', MAX_EXAMPLES,
      '--seed', SEED,
      '--workers', '1',
      '--generation-database', 'none',
      '--no-color',
    ]
    const started = Date.now()
    const { code, out } = await run(st, args, { ...process.env, SCHEMATHESIS_HOOKS: pythonSupportFile('schemathesis_hooks.py') }, tempDir('pulse-schemathesis-'))
    const seconds = Math.round((Date.now() - started) / 1000)
    const summary = `st ${args.join(' ').replace(API_KEY, '<key>')} (exit ${code}, ${seconds} s):\n${out}`
    if (code !== 0) throw new Error(`Schemathesis found the OpenAPI document and the gateway disagreeing.\n${summary}`)
    // All went through: the examples ran, the catalog's events were generated and accepted, nothing failed.
    expect(out, summary).toMatch(/No issues found/)
    expect(out, summary).toMatch(/✅ Examples/)
    expect(out, summary).toMatch(/✅ Coverage/)
    expect(out, summary).toMatch(/✅ Fuzzing/)
    const [, generated, passed] = /(\d+) generated, (\d+) passed/.exec(out) ?? []
    expect(Number(generated), summary).toBeGreaterThan(1000)
    expect(passed, summary).toBe(generated)
    console.log(`Schemathesis (seed ${SEED}, ${MAX_EXAMPLES} examples, ${seconds} s): ${/Operations:\s+(\d+ selected \/ \d+ total)/.exec(out)?.[1]} operations; test cases ${/\d+ generated, \d+ passed[^\n]*/.exec(out)?.[0]}`)
    const metrics = await (await fetch(`${platform.endpoints.gateway}/metrics`)).text()
    const accepted = [...metrics.matchAll(/^pulse_events_accepted_total\{subject="([^"]+)"\} (\d+)$/gm)]
    expect(new Set(accepted.map((m) => m[1])).size, 'events of several subjects accepted').toBeGreaterThan(5)
  })
})
