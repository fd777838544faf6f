import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { signatureHeader, verifySignature } from '../../processors/playbooks/webhook-signature.js'
import { tempDir } from '../support/fixtures.js'
import { pythonTools } from '../support/python.js'

/** The fenced block right after `<!-- marker -->` in README.md: what receivers copy. */
function readmeBlock(marker: string, lang: string): string {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const m = new RegExp(`<!-- ${marker} -->\\n\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme)
  if (!m) throw new Error(`README.md has no \`\`\`${lang} block right after <!-- ${marker} -->`)
  return m[1]
}

const SECRET = 'whsec_readme_sample'
// Non-ASCII on purpose: the samples must sign the raw bytes, not a re-encoded string.
const BODY = JSON.stringify({ id: 'dlv_readme', type: 'alert.fired', time: '2025-03-04T09:12:00.000Z', data: { title: 'Santé < 40 — café ☕', why: ['score 31'] } })

interface Case {
  name: string
  header: string | undefined
  body: string
  secret: string
  accepted: boolean
}

function cases(): Case[] {
  const now = Math.floor(Date.now() / 1000)
  const signed = (t: number, secrets = [SECRET], body = BODY) => signatureHeader(body, secrets, t)
  const valid = signed(now)
  const v1 = valid.split(',')[1].slice(3)
  return [
    { name: 'valid', header: valid, body: BODY, secret: SECRET, accepted: true },
    { name: 'rotated: the new secret first, the receiver still on the old one', header: signed(now, ['whsec_new_one', SECRET]), body: BODY, secret: SECRET, accepted: true },
    { name: 'spaces after commas', header: valid.replace(',', ', '), body: BODY, secret: SECRET, accepted: true },
    { name: 'four minutes old (within tolerance)', header: signed(now - 240), body: BODY, secret: SECRET, accepted: true },
    { name: 'tampered body', header: valid, body: BODY.replace('31', '91'), secret: SECRET, accepted: false },
    { name: 'wrong secret', header: valid, body: BODY, secret: 'whsec_someone_else', accepted: false },
    { name: 'timestamp 10 minutes old', header: signed(now - 600), body: BODY, secret: SECRET, accepted: false },
    { name: 'timestamp 10 minutes ahead', header: signed(now + 600), body: BODY, secret: SECRET, accepted: false },
    { name: 'old signature with a new timestamp', header: `t=${now + 1},v1=${v1}`, body: BODY, secret: SECRET, accepted: false },
    { name: 'no header', header: undefined, body: BODY, secret: SECRET, accepted: false },
    { name: 'no v1', header: `t=${now}`, body: BODY, secret: SECRET, accepted: false },
    { name: 'no timestamp', header: `v1=${v1}`, body: BODY, secret: SECRET, accepted: false },
    { name: 'non-numeric timestamp', header: `t=${now}x,v1=${v1}`, body: BODY, secret: SECRET, accepted: false },
    { name: 'v1 not hex', header: `t=${now},v1=${'z'.repeat(64)}`, body: BODY, secret: SECRET, accepted: false },
    { name: 'v1 truncated', header: `t=${now},v1=${v1.slice(0, 40)}`, body: BODY, secret: SECRET, accepted: false },
  ]
}

/** Cases to the sample over stdin (bodies as base64: bytes), its verdicts back as JSON. */
const wire = (list: Case[]) => JSON.stringify(list.map((c) => ({ header: c.header ?? null, body: Buffer.from(c.body, 'utf8').toString('base64'), secret: c.secret })))

const NODE_HARNESS = `
import { verifyPulseSignature } from './sample.mjs'
let input = ''
for await (const chunk of process.stdin) input += chunk
const verdicts = JSON.parse(input).map((c) => verifyPulseSignature(c.header ?? undefined, Buffer.from(c.body, 'base64'), c.secret))
process.stdout.write(JSON.stringify(verdicts))
`

const PYTHON_HARNESS = `
import base64, json, sys
from sample import verify_pulse_signature
cases = json.load(sys.stdin)
print(json.dumps([verify_pulse_signature(c["header"], base64.b64decode(c["body"]), c["secret"]) for c in cases]))
`

function python(): string {
  try {
    return pythonTools().python
  } catch {
    // The sample needs only the standard library: any Python 3 runs it.
    return 'python3'
  }
}

describe('the README’s webhook signature samples for receivers', () => {
  const list = cases()

  it('the cases are what Pulse’s own verifySignature decides', () => {
    expect(list.map((c) => ({ name: c.name, accepted: verifySignature(c.header, c.body, c.secret, Date.now()).ok }))).toEqual(list.map((c) => ({ name: c.name, accepted: c.accepted })))
  })

  it('the Node sample (node:crypto only) accepts the valid signatures and rejects tampered, wrong-secret, stale and malformed ones', () => {
    const dir = tempDir('readme-node-')
    fs.writeFileSync(path.join(dir, 'sample.mjs'), readmeBlock('webhook-verify-node', 'js'))
    fs.writeFileSync(path.join(dir, 'harness.mjs'), NODE_HARNESS)
    const out = execFileSync(process.execPath, [path.join(dir, 'harness.mjs')], { input: wire(list), encoding: 'utf8' })
    const verdicts = JSON.parse(out) as boolean[]
    expect(list.map((c, i) => ({ name: c.name, accepted: verdicts[i] }))).toEqual(list.map((c) => ({ name: c.name, accepted: c.accepted })))
  })

  it('the Python sample (hmac, hashlib) decides the same', () => {
    const dir = tempDir('readme-python-')
    fs.writeFileSync(path.join(dir, 'sample.py'), readmeBlock('webhook-verify-python', 'python'))
    fs.writeFileSync(path.join(dir, 'harness.py'), PYTHON_HARNESS)
    const out = execFileSync(python(), [path.join(dir, 'harness.py')], { input: wire(list), encoding: 'utf8', cwd: dir })
    const verdicts = JSON.parse(out) as boolean[]
    expect(list.map((c, i) => ({ name: c.name, accepted: verdicts[i] }))).toEqual(list.map((c) => ({ name: c.name, accepted: c.accepted })))
  })
})
