import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { AccountTruth } from '../../cli/simulate/portfolio.js'
import { loadConfig } from '../../platform/config.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { createLogger } from '../../runtime/logger.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'

const API_KEY = 'churn-e2e-secret'
const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

function runPulse(args: string[]): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PULSE_BIN, ...args], { cwd: REPO, env: { ...process.env, PULSE_API_KEY: API_KEY } })
    let out = ''
    let stdout = ''
    child.stdout.on('data', (d) => ((out += d), (stdout += d)))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => resolve({ code, out, stdout }))
  })
}

const RISK = `query($id: ID!) { account(id: $id) { churnRisk { status probability horizonDays revenueAtRisk modelVersion computedAt baseRate reason drivers { feature description value contribution } } } }`
const MODEL = `{ churnModel { status reason version horizonDays trainedAt accounts churnEvents baseRate auc aucLow aucHigh brier brierBaseRate logLoss
  calibration { predicted observed accounts } topDrivers { feature description coefficient } healthScoreBacktest { auc } } }`

describe('churn prediction through the running platform: worker, GraphQL, CLI, re-prediction on events', () => {
  const dataDir = tempDir()
  let platform: Platform
  let truth: AccountTruth[]
  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(platform.endpoints.graphql, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ query, variables }) })
    const body = (await res.json()) as { data?: any; errors?: { message: string }[] }
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '))
    return body.data
  }

  beforeAll(async () => {
    const config = loadConfig({
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `e2e:${API_KEY}:track+backfill+read+write`,
      PULSE_EVENTS_TOPIC: uniqueName('pulse.events.churn'),
      PULSE_CONSUMER_GROUP: uniqueName('processor'),
      PULSE_REDIS_PREFIX: uniqueName('churn'),
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      PULSE_SCORING_DEBOUNCE_MS: '50',
      PULSE_LOG_LEVEL: 'warn',
    })
    platform = await startPlatform(config, createLogger('warn'))
    // Months of history straight into the platform's store (the import path has its own test).
    const clickhouse = createClickHouse({ dataDir })
    ;({ truth } = await insertSimulated(clickhouse, { accounts: 800, days: 240, seed: 11, churnRate: 0.35 }))
    await clickhouse.close()
  }, 240_000)
  afterAll(async () => {
    await platform?.stop()
  })

  it('pulse churn train trains on the churn worker and prints a READY backtest; churnModel serves it', async () => {
    const run = await runPulse(['churn', 'train', '--graphql', platform.endpoints.graphql, '--format', 'json'])
    expect(run.code, run.out).toBe(0)
    const trained = JSON.parse(run.stdout)
    expect(trained.status).toBe('READY')
    const { churnModel } = await graphql(MODEL)
    expect(churnModel).toMatchObject({ status: 'READY', version: trained.version, horizonDays: 90 })
    expect(churnModel.churnEvents).toBeGreaterThan(20)
    expect(churnModel.aucLow).toBeGreaterThan(0.55)
    expect(churnModel.brier).toBeLessThan(churnModel.brierBaseRate)
    expect(churnModel.calibration).toHaveLength(10)
    expect(churnModel.topDrivers.length).toBeGreaterThan(3)
    expect(churnModel.healthScoreBacktest.auc).toBeGreaterThan(0.5)
  })

  it('pulse churn backtest prints the report as Markdown', async () => {
    const run = await runPulse(['churn', 'backtest', '--graphql', platform.endpoints.graphql, '--format', 'markdown'])
    expect(run.code, run.out).toBe(0)
    expect(run.stdout).toMatch(/^## Churn model 90d-[0-9a-f]{12}: READY/)
    expect(run.stdout).toContain('| churn model |')
    expect(run.stdout).toContain('| health score alone |')
    expect(run.stdout).toContain('### Calibration by decile of predicted risk')
  })

  it('pulse score suggest reports each component against churn and suggests weights adding up to 100', async () => {
    const run = await runPulse(['score', 'suggest', '--graphql', platform.endpoints.graphql, '--format', 'json'])
    expect(run.code, run.out).toBe(0)
    const s = JSON.parse(run.stdout).scorecardSuggestion
    expect(s.components.length).toBeGreaterThan(5)
    expect(s.components.reduce((sum: number, c: { suggestedWeight: number }) => sum + c.suggestedWeight, 0)).toBe(100)
    expect(s.current.auc).toBeGreaterThan(0.5)
    expect(s.suggested.auc).toBeGreaterThan(0.5)
    const text = await runPulse(['score', 'suggest', '--graphql', platform.endpoints.graphql])
    expect(text.stdout).toMatch(/Current scorecard: AUC 0\.\d{3}/)
    expect(text.stdout).toMatch(/Suggested weights: AUC 0\.\d{3}/)
  })

  it('gives an active account a probability, drivers and revenue at risk; a canceled one none', async () => {
    const active = truth.find((t) => t.churnedAt === null)!.accountId
    const { account } = await graphql(RISK, { id: active })
    const r = account.churnRisk
    expect(r.status).toBe('READY')
    expect(r.probability).toBeGreaterThan(0)
    expect(r.probability).toBeLessThan(1)
    expect(r.horizonDays).toBe(90)
    expect(r.revenueAtRisk).toBeGreaterThan(0)
    expect(r.drivers.length).toBeGreaterThan(0)
    expect(r.drivers[0]).toMatchObject({ feature: expect.any(String), contribution: expect.any(Number) })
    const canceled = truth.find((t) => t.churnedAt !== null)!.accountId
    const gone = (await graphql(RISK, { id: canceled })).account.churnRisk
    expect(gone).toMatchObject({ status: 'READY', probability: null })
    expect(gone.reason).toMatch(/not active/)
  })

  it('predicts an account again when an event re-scores it', async () => {
    const active = truth.filter((t) => t.churnedAt === null)[1].accountId
    const before = (await graphql(RISK, { id: active })).account.churnRisk.computedAt
    const res = await fetch(`${platform.endpoints.gateway}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ event: 'support_ticket_opened', messageId: crypto.randomUUID(), accountId: active, timestamp: new Date().toISOString(), properties: { ticketId: 'T-e2e', severity: 'P1', channel: 'PHONE', category: null } }),
    })
    expect(res.status).toBe(202)
    const after = await eventually('a new prediction', async () => {
      const r = (await graphql(RISK, { id: active })).account.churnRisk
      return r.computedAt !== before ? r : undefined
    }, 60_000)
    expect(Date.parse(after.computedAt)).toBeGreaterThan(Date.parse(before))
    expect(after.modelVersion).toBe(before === null ? after.modelVersion : (await graphql(MODEL)).churnModel.version)
    expect(after.probability).toEqual(expect.any(Number))
  })
})
