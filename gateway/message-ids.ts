import type { Redis } from 'ioredis'

export type Claim = 'new' | 'done' | 'in_flight'

/**
 * Which messageIds the gateway already accepted in the last `ttlMs`, kept in Redis so every gateway
 * instance shares it. An id is first claimed as pending (briefly), and marked done only after Kafka
 * acknowledged it: a retry racing its original is told to wait instead of being acknowledged for an
 * event that might still fail.
 */
export class MessageIds {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 24 * 3_600_000,
    private readonly pendingMs = 30_000,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:msg:${id}`
  }

  /** Claims every id in one round trip; an id listed twice is claimed once, its later copies are in flight. */
  async claim(ids: string[]): Promise<Claim[]> {
    if (!ids.length) return []
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.set(this.key(id), 'pending', 'PX', this.pendingMs, 'NX', 'GET')
    const replies = (await pipeline.exec()) ?? []
    return replies.map(([err, previous]) => {
      if (err) throw err
      return previous === null ? 'new' : previous === 'done' ? 'done' : 'in_flight'
    })
  }

  async markDone(ids: string[]): Promise<void> {
    if (!ids.length) return
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.set(this.key(id), 'done', 'PX', this.ttlMs)
    await pipeline.exec()
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.del(...ids.map((id) => this.key(id)))
  }
}
