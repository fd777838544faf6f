import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRegistryServer, SchemaStore } from '../../registry/index.js'
import { ADMIN, testRegistryAccess } from '../support/registry-access.js'
import { tempDir } from '../support/fixtures.js'

const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))

const v1 = {
  type: 'record',
  name: 'SubscriptionUpdated',
  namespace: 'dev.pulse.events',
  doc: 'A subscription changed.',
  fields: [
    { name: 'plan', type: 'string', doc: 'Plan id.' },
    { name: 'mrrCents', type: 'long', doc: 'MRR in cents.' },
  ],
}
// Drops `plan` and adds a required field: incompatible both ways.
const v2 = {
  ...v1,
  fields: [
    { name: 'mrrCents', type: 'long', doc: 'MRR in cents.' },
    { name: 'seats', type: 'int' },
  ],
}

/** Runs the CLI without blocking this process, which may be serving the registry the CLI talks to. */
function pulse(cwd: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PULSE_BIN, 'schemas', ...args], { cwd, env: { ...process.env, PULSE_API_KEY: ADMIN.secret } })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

describe('pulse schemas check', () => {
  const repo = tempDir('pulse-check-repo-')
  const file = path.join(repo, 'schemas', 'subscription_updated.avsc')
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' })

  beforeAll(() => {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(v1, null, 2))
    git('init', '-q')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty')
    git('add', '.')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'v1')
    fs.writeFileSync(file, JSON.stringify(v2, null, 2))
  })

  it('passes when nothing changed against the ref, and treats a ref before the catalog as all-new', async () => {
    fs.writeFileSync(file, JSON.stringify(v1, null, 2))
    const same = await pulse(repo, 'check', '--base', 'HEAD')
    expect(same.code).toBe(0)
    expect(same.out).toContain('0 changed, 0 added, 0 removed, 1 unchanged')
    const before = await pulse(repo, 'check', '--base', 'HEAD~1')
    expect(before.code).toBe(0)
    expect(before.out).toContain('subscription_updated (schemas/subscription_updated.avsc): added')
    fs.writeFileSync(file, JSON.stringify(v2, null, 2))
  })

  it('fails an incompatible change against a git ref, with reasons, in text', async () => {
    const r = await pulse(repo, 'check', '--base', 'HEAD', '--level', 'full')
    expect(r.code).toBe(1)
    expect(r.out).toContain('subscription_updated (schemas/subscription_updated.avsc): changed, FULL against version 1 — INCOMPATIBLE')
    expect(r.out).toContain('✗ properties.seats: field added without a default — the new schema cannot read events written with version 1')
    expect(r.out).toContain('✗ properties.plan: field removed, and version 1 has no default for it — consumers on version 1 can no longer read new events')
    expect(r.out).toContain('! properties.seats: field has no "doc"')
  })

  it('annotates the schema file for GitHub Actions', async () => {
    const r = await pulse(repo, 'check', '--base', 'HEAD', '--format', 'github')
    expect(r.code).toBe(1)
    const lines = r.out.trim().split('\n')
    const seatsLine = JSON.stringify(v2, null, 2).split('\n').findIndex((l) => l.includes('"seats"')) + 1
    expect(lines).toContain(
      `::error file=schemas/subscription_updated.avsc,line=${seatsLine},title=Incompatible change to subscription_updated (BACKWARD)::properties.seats: field added without a default — the new schema cannot read events written with version 1`,
    )
    expect(lines.some((l) => l.startsWith('::warning file=schemas/subscription_updated.avsc'))).toBe(true)
  })

  it('writes a pull-request comment in Markdown and a machine-readable JSON report', async () => {
    const md = await pulse(repo, 'check', '--base', 'HEAD', '--format', 'markdown')
    expect(md.out).toContain('### Pulse schema check against git HEAD')
    expect(md.out).toContain('| `subscription_updated` | changed | BACKWARD against version 1 | INCOMPATIBLE |')
    const json = JSON.parse((await pulse(repo, 'check', '--base', 'HEAD', '--format', 'json')).out)
    expect(json.incompatible).toBe(1)
    expect(json.checks[0]).toMatchObject({ subject: 'subscription_updated', status: 'changed', level: 'BACKWARD', against: [1] })
  })

  describe('against a running registry', () => {
    let server: FastifyInstance
    let store: SchemaStore
    let url: string
    beforeAll(async () => {
      store = SchemaStore.open(tempDir())
      server = createRegistryServer({ store, access: testRegistryAccess() })
      await server.listen({ host: '127.0.0.1', port: 0 })
      url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
      store.register('subscription_updated', JSON.stringify(v1))
      store.setCompatibility('subscription_updated', 'FORWARD')
    })
    afterAll(async () => {
      await server.close()
      store.close()
    })

    it("uses the subject's own compatibility level and versions, and push registers only what changed", async () => {
      const r = await pulse(repo, 'check', '--registry', url)
      expect(r.code).toBe(1)
      expect(r.out).toContain('changed, FORWARD against version 1 — INCOMPATIBLE')
      expect(r.out).not.toContain('field added without a default')

      // A compatible change passes and is pushed once.
      fs.writeFileSync(file, JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'seats', type: 'int', default: 1, doc: 'Seats.' }] }, null, 2))
      expect((await pulse(repo, 'check', '--registry', url)).code).toBe(0)
      expect((await pulse(repo, 'push', '--registry', url)).out).toContain('subscription_updated: registered (id 2)')
      expect((await pulse(repo, 'push', '--registry', url)).out).toContain('subscription_updated: unchanged (id 2, version 2)')
      expect(store.versions('subscription_updated')).toEqual([1, 2])
      fs.writeFileSync(file, JSON.stringify(v2, null, 2))
    })
  })
})
