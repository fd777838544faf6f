import type { IHeaders, Kafka } from 'kafkajs'
import { Partitioners } from 'kafkajs'

/**
 * Sends every dead-lettered record not yet replayed back to the topic it came from, as it was (the
 * `pulse_dlq_*` headers dropped), and stops at the end of the dead-letter topic as it was when called.
 * Progress is the replay consumer group's committed offsets, so running it twice replays nothing twice;
 * a record that still cannot be read is dead-lettered again by the processor, with the new reason.
 */
export async function replayDeadLetters(opts: { kafka: Kafka; dlqTopic: string; groupId?: string; fallbackTopic: string }): Promise<number> {
  const groupId = opts.groupId ?? 'pulse-dlq-replay'
  const admin = opts.kafka.admin()
  await admin.connect()
  const ends = new Map((await admin.fetchTopicOffsets(opts.dlqTopic)).map((o) => [o.partition, BigInt(o.high)]))
  const committed = new Map(
    (await admin.fetchOffsets({ groupId, topics: [opts.dlqTopic] })).flatMap((t) => t.partitions.map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)] as const)),
  )
  await admin.disconnect()
  const pending = [...ends].filter(([p, end]) => (committed.get(p) ?? 0n) < end)
  if (!pending.length) return 0

  const producer = opts.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  const consumer = opts.kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000 })
  await producer.connect()
  await consumer.connect()
  await consumer.subscribe({ topic: opts.dlqTopic, fromBeginning: true })
  let replayed = 0
  const done = new Set([...ends].filter(([p, end]) => (committed.get(p) ?? 0n) >= end).map(([p]) => p))
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      const end = ends.get(batch.partition) ?? 0n
      const messages = batch.messages.filter((m) => BigInt(m.offset) < end)
      const byTopic = new Map<string, { key: Buffer | null; value: Buffer | null; headers: IHeaders }[]>()
      for (const m of messages) {
        const headers: IHeaders = {}
        let topic = opts.fallbackTopic
        for (const [k, v] of Object.entries(m.headers ?? {})) {
          if (k === 'pulse_dlq_topic') topic = String(v)
          else if (!k.startsWith('pulse_dlq_') && v !== undefined) headers[k] = v
        }
        headers.pulse_replayed_from = `${opts.dlqTopic}/${batch.partition}/${m.offset}`
        const list = byTopic.get(topic) ?? []
        list.push({ key: m.key, value: m.value, headers })
        byTopic.set(topic, list)
      }
      if (byTopic.size) await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) })
      replayed += messages.length
      const last = messages.at(-1)
      if (last) {
        resolveOffset(last.offset)
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }])
      }
      if (!last || BigInt(last.offset) + 1n >= end) done.add(batch.partition)
      if (done.size >= ends.size) finish()
    },
  })
  await finished
  await consumer.disconnect()
  await producer.disconnect()
  return replayed
}
