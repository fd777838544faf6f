/** A `pulse dev` child process for benches that measure a running Pulse from outside, as a client would. */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.mjs', import.meta.url))

export interface PulseDev {
  child: ChildProcess
  /** What it printed up to its gateway being up (the endpoints block). */
  out: string
  /** The gateway's base URL. */
  gateway: string
  /** Stops it and removes its data directory. */
  stop(): Promise<void>
}

/**
 * Starts `pulse dev` in a fresh data directory with the bench key `key` (every scope a bench needs), free
 * ports, no rate limit worth the name and warn-level logs; `env` adds to or overrides that, `flags` go to node.
 */
export async function startPulseDev(key: string, env: Record<string, string> = {}, flags: string[] = []): Promise<PulseDev> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-bench-'))
  const child = spawn(process.execPath, [...flags, PULSE_BIN, 'dev'], {
    env: { ...process.env, PULSE_DATA_DIR: dataDir, PULSE_API_KEYS: `bench:${key}:track+read+admin`, PULSE_GATEWAY_PORT: '0', PULSE_REGISTRY_PORT: '0', PULSE_GRAPHQL_PORT: '0', PULSE_LOG_LEVEL: 'warn', PULSE_RATE_LIMIT: '1000000/1s', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  const started = Date.now()
  while (!/gateway\s+http/.test(out)) {
    if (Date.now() - started > 120_000) throw new Error(`pulse dev did not start:\n${out}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    child,
    out,
    gateway: /gateway\s+(http:\S+)\/v1\/track/.exec(out)![1],
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
