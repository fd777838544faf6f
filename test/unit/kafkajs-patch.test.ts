import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const Encoder = require('kafkajs/src/protocol/encoder.js')
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')
const Decoder = require('kafkajs/src/protocol/decoder.js')
const Header = require('kafkajs/src/protocol/recordBatch/header/v0/index.js')
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')

/** LEB128 of an unsigned 32-bit value, as the Kafka protocol defines varints. */
function leb128(value: number): number[] {
  const out: number[] = []
  let v = value >>> 0
  do {
    const byte = v & 0x7f
    v >>>= 7
    out.push(v ? byte | 0x80 : byte)
  } while (v)
  return out
}

describe('patches/kafkajs+2.2.4.patch', () => {
  it("is applied: the protocol encoder takes its buffers from Node's pool", () => {
    // Buffer.alloc gives every encoder an ArrayBuffer of its own; allocUnsafe slices the shared pool.
    expect(new Encoder().buf.buffer.byteLength).toBe(Buffer.poolSize)
  })

  it('exposes only the bytes it wrote, whatever the pooled memory held before', () => {
    Buffer.allocUnsafe(600).fill(0xee)
    const encoded = new Encoder().writeInt8(1).writeVarIntString('ce_id').buffer as Buffer
    expect([...encoded]).toEqual([1, 10, ...Buffer.from('ce_id')])
    const record = Record({ key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: 'x' } }).buffer as Buffer
    expect(record.includes(0xee)).toBe(false)
  })

  it('writes varints in place with the same bytes as the protocol defines, and kafkajs reads them back', () => {
    const values = [0, 1, -1, 63, -64, 64, 127, 128, 300, -300, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, -(2 ** 31)]
    for (const v of values) {
      const zigzag = ((v << 1) ^ (v >> 31)) >>> 0
      const bytes = new Encoder().writeVarInt(v).buffer as Buffer
      expect([...bytes]).toEqual(leb128(zigzag))
      expect(new Decoder(bytes).readVarInt()).toBe(v)
    }
    // Many varints in a row cross the encoder's growth boundary (512 bytes) intact.
    const many = new Encoder()
    for (let i = 0; i < 400; i++) many.writeVarInt(i * 1000)
    const decoder = new Decoder(many.buffer)
    expect(Array.from({ length: 400 }, () => decoder.readVarInt())).toEqual(Array.from({ length: 400 }, (_, i) => i * 1000))
  })

  it('writes record headers in place, byte for byte what an encoder per header gave, and kafkajs decodes them', () => {
    const headers = { ce_id: 'm-1', multi: ['a', 'b'], 'content-type': 'application/avro', blob: Buffer.from([0, 1, 2]) }
    const args = { offsetDelta: 5, timestampDelta: 12, key: Buffer.from('acct_1'), value: Buffer.from([0, 0, 0, 0, 1, 42]), headers }
    const patched = Record(args).buffer as Buffer
    // Upstream's composition: the record's fields, then the headers as an array of Header encoders.
    const pairs = Object.entries(headers).flatMap(([key, v]) => (Array.isArray(v) ? v.map((value) => ({ key, value })) : [{ key, value: v }]))
    const body = new Encoder().writeInt8(0).writeVarLong(12).writeVarInt(5).writeVarIntBytes(args.key).writeVarIntBytes(args.value).writeVarIntArray(pairs.map(Header)).buffer as Buffer
    expect([...patched]).toEqual([...(new Encoder().writeVarInt(body.length).buffer as Buffer), ...body])
    // The batch decoder reads the length prefix; the record decoder starts at the attributes.
    const reader = new Decoder(patched)
    reader.readVarInt()
    const decoded = decodeRecord(reader, { firstOffset: '0', firstTimestamp: '0', magicByte: 2 })
    expect(decoded.headers.ce_id.toString()).toBe('m-1')
    expect(decoded.headers.multi.map(String)).toEqual(['a', 'b'])
    expect([...decoded.headers.blob]).toEqual([0, 1, 2])
    expect(decoded.key.toString()).toBe('acct_1')
  })
})
