import type { Message, Producer } from 'kafkajs'

/**
 * Coalesces concurrently accepted events into one Kafka produce request. Each caller's promise settles only
 * when the broker acknowledged (acks=all) the request carrying its message, so a 2xx still means "in Kafka".
 */
export class BatchingProducer {
  private pending: { message: Message; resolve: () => void; reject: (err: Error) => void }[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight = new Set<Promise<void>>()

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly opts: { lingerMs: number; maxBatch: number } = { lingerMs: 5, maxBatch: 1000 },
  ) {}

  send(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ message, resolve, reject })
      if (this.pending.length >= this.opts.maxBatch) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), this.opts.lingerMs)
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.pending
    this.pending = []
    if (!batch.length) return
    const sending = this.producer
      .send({ topic: this.topic, acks: -1, messages: batch.map((b) => b.message) })
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err: Error) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => this.inFlight.delete(sending))
    this.inFlight.add(sending)
  }

  /** Sends what is queued and waits for every outstanding request, for a clean shutdown. */
  async drain(): Promise<void> {
    this.flush()
    await Promise.allSettled([...this.inFlight])
  }
}
