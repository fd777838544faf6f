import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { MessageIds } from '../../gateway/message-ids.js'
import { loadConfig } from '../../platform/config.js'
import { startPlatform, type Platform } from '../../platform/index.js'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { createLogger } from '../../runtime/logger.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'

const BACKFILL_KEY = 'import-e2e-backfill-secret'
const TRACK_KEY = 'import-e2e-track-secret'
const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))
const DAY = 86_400_000

function runPulse(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (pid: number) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PULSE_BIN, ...args], { cwd: REPO, env })
    onSpawn?.(child.pid!)
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code, signal) => resolve({ code, signal, out }))
  })
}

describe('pulse import through the gateway, on real Kafka, Redis and ClickHouse', () => {
  const dataDir = tempDir()
  const work = tempDir('pulse-import-')
  const redisPrefix = uniqueName('import')
  const clickhouse = createClickHouse({ dataDir })
  const redis = new Redis(inject('redisUrl'))
  const topic = uniqueName('pulse.events.import')
  const groupId = uniqueName('processor')
  const admin = new Kafka({ clientId: 'import-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).admin()
  let platform: Platform
  let env: NodeJS.ProcessEnv
  const file = path.join(work, 'history.ndjson')
  let lines: string[]

  /** Rows and distinct ids the import key stored for a simulated portfolio's accounts. */
  const stored = async (accountPrefix = 'acct_sim3_') => {
    const [r] = await queryRows<{ rows: string; ids: string }>(
      clickhouse,
      "SELECT count() AS rows, uniqExact(message_id) AS ids FROM events WHERE source LIKE '%/keys/import' AND startsWith(account_id, {p:String})",
      { p: accountPrefix },
    )
    return { rows: Number(r.rows), ids: Number(r.ids) }
  }
  /**
   * Waits until the processor has handled everything sent so far: its consumer group's committed offsets reach
   * the topic's end in every partition (a batch is committed only once all of it is stored or parked), then the
   * same for the topic where marked events wait for their check.
   */
  const caughtUp = async (topic: string, groupId: string) => {
    const ends = await admin.fetchTopicOffsets(topic)
    await eventually(`the processor past everything sent to ${topic}`, async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
      const at = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]))
      return ends.every((e) => Number(e.high) === 0 || (at.get(e.partition) ?? -1) >= Number(e.high)) ? true : undefined
    }, 90_000)
  }
  const drain = async () => {
    await caughtUp(topic, groupId)
    await caughtUp(`${topic}.verify`, `${groupId}.verify`)
  }
  beforeAll(async () => {
    const config = loadConfig({
      PULSE_DATA_DIR: dataDir,
      PULSE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      PULSE_REDIS_URL: inject('redisUrl'),
      PULSE_API_KEYS: `import:${BACKFILL_KEY}:track+backfill,live:${TRACK_KEY}`,
      PULSE_EVENTS_TOPIC: topic,
      PULSE_CONSUMER_GROUP: groupId,
      PULSE_REDIS_PREFIX: redisPrefix,
      PULSE_RATE_LIMIT: '100000/1s',
      PULSE_GATEWAY_PORT: '0',
      PULSE_REGISTRY_PORT: '0',
      PULSE_GRAPHQL_PORT: '0',
      PULSE_COMPONENTS: 'registry,gateway,processor,graphql',
      PULSE_LOG_LEVEL: 'warn',
    })
    platform = await startPlatform(config, createLogger('warn'))
    await admin.connect()
    // Physical rows are what is checked: merges must not collapse a duplicate that should never have been inserted.
    await clickhouse.command({ query: 'SYSTEM STOP MERGES events' })
    env = { ...process.env, PULSE_GATEWAY_URL: platform.endpoints.gateway, PULSE_API_KEYS: `live:${TRACK_KEY},import:${BACKFILL_KEY}:track+backfill`, PULSE_API_KEY: '' }
    delete env.PULSE_API_KEY
    // History older than the gateway's 30-day window and than its 24-hour dedup window.
    const yesterday = Math.floor(Date.now() / DAY) - 1
    const sim = await runPulse(['simulate', '--accounts', '12', '--days', '60', '--seed', '3', '--end', new Date(yesterday * DAY).toISOString().slice(0, 10), '--out', file], env)
    expect(sim.code, sim.out).toBe(0)
    lines = fs.readFileSync(file, 'utf8').trim().split('\n')
    // A line that is not JSON and an event that breaks its schema, among the good ones.
    lines.splice(9, 0, '{"event": "user_login", oops')
    const bad = JSON.parse(lines[20])
    lines.splice(20, 0, JSON.stringify({ ...bad, messageId: crypto.randomUUID(), event: 'user_login', properties: { method: 42 } }))
    fs.writeFileSync(file, lines.join('\n') + '\n')
  }, 180_000)
  afterAll(async () => {
    await admin.disconnect()
    await platform?.stop()
    await clickhouse.close()
    redis.disconnect()
  })

  const good = () => lines.length - 2

  it('imports a history with a backfill key found in PULSE_API_KEYS, and reports each rejected line by number', async () => {
    const run = await runPulse(['import', file, '--batch', '200'], env)
    expect(run.code, run.out).toBe(1) // something was rejected
    expect(run.out).toContain(`imported: ${lines.length} lines, ${good()} accepted, 0 seen before (duplicates, or new events the dedup filter mistook for them; each stored once), 2 rejected`)
    const rejects = fs.readFileSync(path.join(work, 'history.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(rejects.map((r) => [r.line, r.error])).toEqual([
      [10, 'invalid_json'],
      [21, 'schema_violation'],
    ])
    expect(rejects[1].violations[0]).toMatchObject({ path: 'properties.method' })
    await drain()
    expect(await stored()).toEqual({ rows: good(), ids: good() })
    // A finished import leaves no checkpoint.
    expect(fs.existsSync(path.join(work, 'history.import-state.json'))).toBe(false)
  })

  it('stores nothing twice when the same file is imported again, within the dedup window and after it', async () => {
    const again = await runPulse(['import', file], env)
    expect(again.out).toContain(`${good()} seen before (duplicates, or new events the dedup filter mistook for them; each stored once)`)
    // Past the window the gateway no longer remembers the ids; every event is older than the window, so the
    // processor checks each against the store before inserting it.
    const keys = await redis.keys(`${redisPrefix}:ids:*`)
    expect(keys.length).toBeGreaterThan(0)
    await redis.del(...keys)
    const later = await runPulse(['import', file], env)
    expect(later.out).toContain(`${good()} accepted`)
    await drain()
    expect(await stored()).toEqual({ rows: good(), ids: good() })
  })

  it('never drops a new event as a duplicate: a false positive of the filter is resolved against the store', async () => {
    const messageId = crypto.randomUUID()
    // Put the id in the filter, as a Bloom filter's false positive would have it.
    await new MessageIds(redis, redisPrefix).markDone([messageId])
    const res = await fetch(`${platform.endpoints.gateway}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TRACK_KEY}` },
      body: JSON.stringify({ event: 'user_login', messageId, accountId: 'acct_collision', timestamp: new Date().toISOString(), properties: { method: 'SSO', mfa: false } }),
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ duplicate: true })
    const rows = await eventually('the collided event stored', async () => {
      const r = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM events WHERE message_id = {id:String}', { id: messageId })
      return Number(r[0].n) > 0 ? Number(r[0].n) : undefined
    })
    expect(rows).toBe(1)
  })

  it('continues an interrupted import from its checkpoint without losing or repeating a line', async () => {
    const second = path.join(work, 'second.ndjson')
    const sim = await runPulse(['simulate', '--accounts', '15', '--days', '60', '--seed', '9', '--end', new Date((Math.floor(Date.now() / DAY) - 1) * DAY).toISOString().slice(0, 10), '--out', second], env)
    expect(sim.code, sim.out).toBe(0)
    const total = fs.readFileSync(second, 'utf8').trim().split('\n').length
    const state = path.join(work, 'second.import-state.json')
    let pid = 0
    const killed = runPulse(['import', second, '--batch', '20', '--concurrency', '1'], env, (p) => (pid = p))
    await eventually('a checkpoint', async () => (fs.existsSync(state) && JSON.parse(fs.readFileSync(state, 'utf8')).line > 200 ? true : undefined), 60_000)
    process.kill(pid, 'SIGKILL')
    const first = await killed
    expect(first.signal).toBe('SIGKILL')
    const checkpoint = JSON.parse(fs.readFileSync(state, 'utf8'))
    expect(checkpoint.line).toBeLessThan(total)

    const resumed = await runPulse(['import', second], env)
    expect(resumed.code, resumed.out).toBe(0)
    expect(resumed.out).toMatch(new RegExp(`imported \\(continued after line ${checkpoint.line}\\): ${total} lines`))
    const [line] = resumed.out.split('\n').filter((l) => l.startsWith('imported'))
    const accepted = Number(/(\d+) accepted/.exec(line)![1])
    const duplicates = Number(/(\d+) seen before/.exec(line)![1])
    // Batches answered after the checkpoint was written are sent again and found to be duplicates.
    expect(accepted + duplicates).toBe(total)
    await drain()
    expect(await stored('acct_sim9_')).toEqual({ rows: total, ids: total })
  })

  it('imports a CSV through a column mapping: bad cells and rows rejected by their physical line, rows stored once however often it is imported', async () => {
    const csv = path.join(work, 'crm-export.csv')
    const mapping = path.join(work, 'crm-mapping.yaml')
    fs.writeFileSync(
      mapping,
      [
        'event: event',
        'accountId: account_id',
        'userId: user_id',
        'timestamp: occurred_at',
        'properties:',
        '  method: { column: login_method, values: { sso: SSO } }',
        '  mfa: mfa',
        '  score: nps',
        '  comment: comment',
        '  feature: feature',
      ].join('\n'),
    )
    // Forty days ago: older than the gateway's live window and its 24-hour dedup window.
    const base = (Math.floor(Date.now() / DAY) - 40) * DAY
    const iso = (h: number) => new Date(base + h * 3_600_000).toISOString()
    const rows = [
      'event,account_id,user_id,occurred_at,login_method,mfa,nps,comment,feature,exported_by',
      `user_login,acct_csv_1,u_1,${iso(1)},sso,true,,,,crm`,
      `user_login,acct_csv_1,u_2,${(base + 2 * 3_600_000) / 1000},PASSWORD,no,,,,crm`,
      `nps_submitted,acct_csv_1,u_1,${base + 3 * 3_600_000},,,9,"Great, ""fast""\r\nsupport",,crm`, // lines 4-5
      `feature_used,acct_csv_2,u_3,${iso(4).replace('Z', '+00:00')},,,,,reports.export,crm`,
      `nps_submitted,acct_csv_2,u_3,${iso(5)},,,ten,,,crm`, // line 7: a cell that is no int
      `feature_used,acct_csv_2,u_4,${iso(6)},,,,,dashboards.share`, // line 8: a field short
      `user_login,acct_csv_3,u_5,${iso(7)},MAGIC_LINK,,,,,crm`,
      `feature_used,acct_csv_3,u_5,${iso(8)},,,,,reports.export,crm`,
    ]
    fs.writeFileSync(csv, rows.join('\r\n') + '\r\n')
    const good = 6
    const args = ['import', csv, '--mapping', mapping, '--registry', platform.endpoints.registry, '--batch', '4']
    const storedCsv = async () => {
      await drain()
      return stored('acct_csv_')
    }

    const run = await runPulse(args, env)
    expect(run.code, run.out).toBe(1)
    expect(run.out).toContain('the mapping reads no column "exported_by"; it is ignored')
    expect(run.out).toContain(`imported: 10 lines, ${good} accepted, 0 seen before (duplicates, or new events the dedup filter mistook for them; each stored once), 2 rejected`)
    const rejects = fs.readFileSync(path.join(work, 'crm-export.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(rejects.map((r) => [r.line, r.error])).toEqual([
      [7, 'invalid_cell'],
      [8, 'invalid_csv'],
    ])
    expect(rejects[0].violations).toEqual([
      { column: 'nps', path: 'properties.score', expected: 'an int: a whole number from -2147483648 to 2147483647', actual: '"ten"', message: 'column "nps" (properties.score): expected an int: a whole number from -2147483648 to 2147483647, got "ten"' },
    ])
    expect(rejects[1].message).toBe('the row has 9 fields, the header 10')

    expect(await storedCsv()).toEqual({ rows: good, ids: good })
    const events = await queryRows<{ event: string; account_id: string; user_id: string; timestamp: string; properties: string }>(
      clickhouse,
      "SELECT event, account_id, user_id, toString(timestamp) AS timestamp, properties FROM events WHERE startsWith(account_id, 'acct_csv_') AND source LIKE '%/keys/import' ORDER BY timestamp",
    )
    const at = (h: number) => new Date(base + h * 3_600_000).toISOString().replace('T', ' ').replace('Z', '')
    expect(events.map((e) => [e.event, e.account_id, e.user_id, e.timestamp, JSON.parse(e.properties)])).toEqual([
      ['user_login', 'acct_csv_1', 'u_1', at(1), { method: 'SSO', mfa: true }],
      ['user_login', 'acct_csv_1', 'u_2', at(2), { method: 'PASSWORD', mfa: false }],
      ['nps_submitted', 'acct_csv_1', 'u_1', at(3), { score: 9, comment: 'Great, "fast"\r\nsupport', surveyId: null }],
      ['feature_used', 'acct_csv_2', 'u_3', at(4), { feature: 'reports.export', durationMs: null }],
      ['user_login', 'acct_csv_3', 'u_5', at(7), { method: 'MAGIC_LINK', mfa: false }],
      ['feature_used', 'acct_csv_3', 'u_5', at(8), { feature: 'reports.export', durationMs: null }],
    ])

    // The messageIds derive from the rows: importing again sends the same ones, within the dedup window and after it.
    const again = await runPulse(args, env)
    expect(again.out).toContain(`0 accepted, ${good} seen before (duplicates, or new events the dedup filter mistook for them; each stored once), 2 rejected`)
    const keys = await redis.keys(`${redisPrefix}:ids:*`)
    if (keys.length) await redis.del(...keys)
    const later = await runPulse(args, env)
    expect(later.code, later.out).toBe(1)
    expect(await storedCsv()).toEqual({ rows: good, ids: good })
  })

  it('refuses history to a key without the backfill scope, saying which scope is needed', async () => {
    const run = await runPulse(['import', file, '--key', TRACK_KEY, '--restart'], env)
    expect(run.code).toBe(1)
    const rejects = fs.readFileSync(path.join(work, 'history.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(rejects.find((r) => r.error === 'timestamp_out_of_range').message).toMatch(/backfill scope/)
  })
})
