import path from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { ApiKeys, parseScopes, scopesOf, UNSCOPED } from '../runtime/auth/index.js'
import { readEndpoints } from '../runtime/endpoints-file.js'

export const KEYS_USAGE = `usage: pulse keys <command>

  create NAME [--events e1,e2] [--scopes track+read]
                                 make a key (allowed to send only those events, if given) and print its secret
                                 once. Scopes, joined with +: track (live events), backfill (events of any age),
                                 read (GraphQL queries and subscriptions), write (GraphQL mutations), admin
                                 (registry writes). Default: track+read
  list                           name, allowed events, scopes and creation time of every key
  revoke NAME                    the key stops working within 5 seconds

  Keys live in Redis: PULSE_REDIS_URL, or the Redis of the \`pulse dev\` running on PULSE_DATA_DIR.
`

export async function keysCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { events: { type: 'string' }, scopes: { type: 'string' } } })
  const [command, name] = positionals
  if (!['create', 'list', 'revoke'].includes(command) || (command !== 'list' && !name)) {
    console.error(KEYS_USAGE)
    return 2
  }
  const running = readEndpoints(path.resolve(process.env.PULSE_DATA_DIR || './.pulse'))
  const url = process.env.PULSE_REDIS_URL || running?.redis
  if (!url) throw new Error('no Redis to keep keys in: set PULSE_REDIS_URL, or start `pulse dev` with the same PULSE_DATA_DIR')
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    const keys = new ApiKeys(redis, process.env.PULSE_REDIS_PREFIX || running?.redisPrefix || 'pulse')
    switch (command) {
      case 'create': {
        const events = values.events ? values.events.split(',').map((e) => e.trim()).filter(Boolean) : null
        const scopes = parseScopes(values.scopes ?? UNSCOPED.join('+'))
        if ('error' in scopes) throw new Error(`--scopes: ${scopes.error}`)
        const { key, secret } = await keys.create(name, events, scopes.scopes)
        console.log(`created key "${key.name}" (${key.events ? `events: ${key.events.join(', ')}` : 'all events'}; scopes: ${scopesOf(key).join('+')})\nsecret: ${secret}\n(shown once; only its SHA-256 digest is stored)`)
        return 0
      }
      case 'list': {
        const all = await keys.list()
        console.table(all.map((k) => ({ name: k.name, events: k.events?.join(', ') ?? '(all)', scopes: scopesOf(k).join('+'), created: k.createdAt || '(PULSE_API_KEYS)' })))
        return 0
      }
      default: {
        if (await keys.revoke(name)) {
          console.log(`revoked "${name}"`)
          return 0
        }
        console.error(`no stored key named "${name}" (keys from PULSE_API_KEYS are removed there)`)
        return 1
      }
    }
  } finally {
    redis.disconnect()
  }
}
