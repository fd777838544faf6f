import fs from 'node:fs'
import path from 'node:path'

/** Where a running `pulse dev` can be reached; written at start, removed at stop. */
export interface RunningEndpoints {
  gateway: string
  registry: string
  graphql: string
  redis: string
  redisPrefix: string
  kafka: string[]
  /** The development key `pulse dev` made (PULSE_API_KEYS unset), so the CLI on this machine can use it. */
  apiKey?: string
}

export function writeEndpoints(dataDir: string, endpoints: RunningEndpoints): string {
  const file = path.join(dataDir, 'endpoints.json')
  fs.mkdirSync(dataDir, { recursive: true })
  // It may hold the development key: readable by this user only.
  fs.writeFileSync(file, JSON.stringify({ ...endpoints, pid: process.pid }, null, 2) + '\n', { mode: 0o600 })
  return file
}

/** The endpoints of the Pulse running on `dataDir`, if one is. */
export function readEndpoints(dataDir: string): RunningEndpoints | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(path.join(dataDir, 'endpoints.json'), 'utf8')) as RunningEndpoints & { pid: number }
    process.kill(e.pid, 0) // throws when that process is gone: a stale file from a crash
    return e
  } catch {
    return undefined
  }
}
