import fs from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { freePort, startChildService, type ChildService } from './child-service.js'

export interface RedisServer extends ChildService {
  url: string
}

export interface RedisServerOptions {
  dataDir: string
  host?: string
  /** 0 picks a free port. */
  port?: number
}

/**
 * Starts Debian's redis-server with what BullMQ needs: append-only persistence (jobs survive a restart)
 * and `noeviction` (Redis must refuse writes rather than silently drop queued jobs).
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  const host = opts.host ?? '127.0.0.1'
  const dir = path.join(opts.dataDir, 'redis')
  fs.mkdirSync(dir, { recursive: true })
  const port = opts.port || (await freePort(host))
  const url = `redis://${host}:${port}`
  const service = await startChildService({
    name: 'redis',
    command: 'redis-server',
    args: [
      '--bind', host,
      '--port', String(port),
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction',
      '--save', '',
      '--daemonize', 'no',
      '--protected-mode', 'no',
    ],
    logFile: path.join(dir, 'redis.log'),
    readyTimeoutMs: 20_000,
    stopTimeoutMs: 10_000,
    ready: async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {}) // refused connections are expected until the server listens
      try {
        await client.connect()
        // A Redis replaying its append-only file answers LOADING until it is done.
        return (await client.ping()) === 'PONG'
      } finally {
        client.disconnect()
      }
    },
  })
  return { ...service, url }
}
