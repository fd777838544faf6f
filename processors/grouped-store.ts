import type { ClickHouseClient } from '@clickhouse/client'
import { insertAll, kafkaRange, storeEvents, type BatchSource, type DecodedEvent, type StoreResult } from './event-store.js'
import { isUnstorable } from './failure-kinds.js'

/** Stores one batch's events; resolves with what was stored and what ClickHouse refused. */
export type StoreBatch = (events: DecodedEvent[], where: BatchSource) => Promise<StoreResult>

/**
 * Group commit for the batches of different partitions: the batches handed over in the same turn of the
 * event loop, or while an insert runs, go into ClickHouse as one insert per table. kafkajs hands a fetch's
 * batches of every partition over at once (partitionsConsumedConcurrently), and an insert costs about the
 * same whatever it holds: each writes a part to `events`, to every table its views feed and to a typed table,
 * and runs the views once (~60–80 ms of CPU for 3 rows on two-year-old accounts; see
 * docs/BENCHMARKS.md). Three partitions meant three inserts a fetch at any event rate.
 *
 * Each batch still resolves or rejects on its own terms: a failure to reach ClickHouse rejects every batch
 * of the group (each partition pauses and retries, as alone); when ClickHouse refuses a row, each batch of the
 * group is stored again alone, which isolates the refused records of that batch only. The group's
 * deduplication token joins the batches' Kafka ranges, so a retry that regroups the same ranges the same way
 * is dropped by ClickHouse; one grouped differently is caught where a replay always is, by the
 * ReplacingMergeTree key. Within a partition nothing changes: kafkajs hands a partition's next batch over
 * only after this one resolved. No library groups concurrent callers' inserts for embedded chDB (ClickHouse's
 * own async inserts need the server's insert queue, which chDB does not run), hence this.
 */
export function groupedStore(clickhouse: ClickHouseClient): StoreBatch {
  interface Waiting {
    events: DecodedEvent[]
    where: BatchSource
    resolve: (r: StoreResult) => void
    reject: (err: unknown) => void
  }
  let waiting: Waiting[] = []
  let draining = false

  const storeGroup = async (group: Waiting[]) => {
    if (group.length === 1) {
      const [one] = group
      return storeEvents(clickhouse, one.events, one.where).then(one.resolve, one.reject)
    }
    try {
      await insertAll(clickhouse, group.flatMap((w) => w.events), group.map((w) => kafkaRange(w.events, w.where)).join('+'))
    } catch (err) {
      if (!isUnstorable(err)) return group.forEach((w) => w.reject(err))
      // One by one, so a batch's refused rows never hold up another partition's batch.
      for (const w of group) await storeEvents(clickhouse, w.events, w.where).then(w.resolve, w.reject)
      return
    }
    for (const w of group) w.resolve({ stored: w.events, refused: [] })
  }

  const drain = async () => {
    draining = true
    // One macrotask first, so the batches kafkajs hands over together (decoded in the same turn) meet here.
    await new Promise((r) => setImmediate(r))
    while (waiting.length) {
      const group = waiting
      waiting = []
      await storeGroup(group).catch((err) => group.forEach((w) => w.reject(err)))
    }
    draining = false
  }

  return (events, where) => {
    if (!events.length) return Promise.resolve({ stored: [], refused: [] })
    return new Promise<StoreResult>((resolve, reject) => {
      waiting.push({ events, where, resolve, reject })
      if (!draining) void drain()
    })
  }
}
