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
}

export function writeEndpoints(dataDir: string, endpoints: RunningEndpoints): string {
  const file = path.join(dataDir, 'endpoints.json')
  fs.mkdirSync(dataDir, { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ ...endpoints, pid: process.pid }, null, 2) + '\n')
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

/**
 * The GraphQL endpoint a CLI command talks to: its `--graphql` flag, else PULSE_GRAPHQL_URL, else the running
 * `pulse dev` of PULSE_DATA_DIR. Throws with what to do when none is found.
 */
export function runningGraphqlUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.PULSE_GRAPHQL_URL ?? readEndpoints(path.resolve(env.PULSE_DATA_DIR || './.pulse'))?.graphql
  if (!url) throw new Error('no running Pulse found: start `pulse dev` (same PULSE_DATA_DIR), or pass --graphql URL or set PULSE_GRAPHQL_URL')
  return url
}
