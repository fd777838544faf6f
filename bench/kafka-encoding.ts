// What patches/kafkajs+2.2.4.patch saves: kafkajs encoding a produce batch of Pulse records (Avro value,
// accountId key, the gateway's nine CloudEvents headers) with its protocol encoder as upstream ships it
// against the patched one. Both in this process: while the baseline runs, Buffer.allocUnsafe is swapped for
// Buffer.alloc, writeUVarInt for upstream's version, and records are built by upstream's Record (both copied
// below), which is exactly the unpatched code path. Rounds alternate so drift hits both alike.
// Run: node --import tsx bench/kafka-encoding.ts [rounds=7]
// A check that the two paths agree byte for byte runs first.
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { cloudEventHeaders } from '../gateway/cloudevents.js'

const require = createRequire(import.meta.url)
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js')
const Encoder = require('kafkajs/src/protocol/encoder.js')
const Header = require('kafkajs/src/protocol/recordBatch/header/v0/index.js')
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')

const rounds = Number(process.argv[2] ?? 7)
const BATCH = 1000
const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.alloc(25, 7)])
const messages = Array.from({ length: BATCH }, (_, i) => {
  const e = { event: 'feature_used', messageId: crypto.randomUUID(), accountId: `acct_${i % 50}`, userId: `u_${i}`, timestamp: new Date().toISOString(), properties: {} }
  return { key: Buffer.from(e.accountId), value, headers: cloudEventHeaders(e, { source: '/pulse/gateway/keys/bench', schemaId: 1 }) }
})

// kafkajs 2.2.4's Record, unpatched: one Encoder per header, copied into the record's.
type RecordArgs = { offsetDelta: number; timestampDelta: number; key: Buffer; value: Buffer; headers: Record<string, string> }
function upstreamRecord({ offsetDelta, timestampDelta, key, value, headers }: RecordArgs) {
  const headersArray = Object.keys(headers).flatMap((k) => [{ key: k, value: headers[k] }])
  let headersSize = Encoder.sizeOfVarInt(headersArray.length)
  for (const h of headersArray) headersSize += Encoder.sizeOfVarInt(Buffer.byteLength(h.key)) + Buffer.byteLength(h.key) + Encoder.sizeOfVarInt(Buffer.byteLength(h.value)) + Buffer.byteLength(h.value)
  const sizeOfBody = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + headersSize
  return new Encoder().writeVarInt(sizeOfBody).writeInt8(0).writeVarLong(timestampDelta).writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value).writeVarIntArray(headersArray.map(Header))
}

let buildRecord: (args: RecordArgs) => unknown = Record
async function encodeBatches(n: number): Promise<number> {
  const began = process.hrtime.bigint()
  for (let k = 0; k < n; k++) {
    const now = Date.now()
    const records = messages.map((m, i) => buildRecord({ offsetDelta: i, timestampDelta: 0, key: m.key, value: m.value, headers: m.headers }))
    await RecordBatch({ compression: 0, firstOffset: '0', firstTimestamp: now, maxTimestamp: now, records })
  }
  return Number(process.hrtime.bigint() - began) / n / BATCH
}

// kafkajs 2.2.4's writeUVarInt, unpatched: a byte array and a Buffer.from per varint.
function upstreamWriteUVarInt(this: { writeBufferInternal(b: Buffer): void }, value: number) {
  const byteArray = []
  while ((value & 0xffffff80) !== 0) {
    byteArray.push((value & 0x7f) | 0x80)
    value >>>= 7
  }
  byteArray.push(value & 0x7f)
  this.writeBufferInternal(Buffer.from(byteArray))
  return this
}
const allocUnsafe = Buffer.allocUnsafe
const patchedWriteUVarInt = Encoder.prototype.writeUVarInt
const upstream = () => {
  Buffer.allocUnsafe = ((size: number) => Buffer.alloc(size)) as typeof Buffer.allocUnsafe
  Encoder.prototype.writeUVarInt = upstreamWriteUVarInt
  buildRecord = upstreamRecord
}
const patched = () => {
  Buffer.allocUnsafe = allocUnsafe
  Encoder.prototype.writeUVarInt = patchedWriteUVarInt
  buildRecord = Record
}

// Same bytes both ways, or the comparison means nothing.
{
  const args = { offsetDelta: 3, timestampDelta: 7, key: messages[0].key, value, headers: messages[0].headers }
  upstream()
  const a = (upstreamRecord(args) as { buffer: Buffer }).buffer
  patched()
  const b = (Record(args) as { buffer: Buffer }).buffer
  if (!a.equals(b)) throw new Error('the patched Record encodes other bytes than upstream')
}

upstream()
await encodeBatches(20)
patched()
await encodeBatches(20)
const base: number[] = []
const fast: number[] = []
for (let r = 0; r < rounds; r++) {
  upstream()
  base.push(await encodeBatches(50))
  patched()
  fast.push(await encodeBatches(50))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`| kafkajs record encoding (${BATCH}-record batches, 9 CloudEvents headers, median of ${rounds} rounds) | ns per record | × upstream |
| --- | ---: | ---: |
| upstream: Buffer.alloc per encoder, an encoder per header, Buffer.from per varint (baseline) | ${median(base).toFixed(0)} | 1.00 |
| patched: pooled Buffer.allocUnsafe, headers and varints written in place | ${median(fast).toFixed(0)} | ${(median(fast) / median(base)).toFixed(2)} |`)
