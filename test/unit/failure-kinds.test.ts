import { describe, expect, it } from 'vitest'
import { isPoison, isUnstorable, retryDelay } from '../../processors/failure-kinds.js'

describe('isPoison', () => {
  it('dead-letters what the record causes, retries what the registry causes', () => {
    expect(isPoison(Object.assign(new Error('Schema not found'), { status: 404 }))).toBe(true)
    expect(isPoison(new Error('Message encoded with magic byte 7, expected 0'))).toBe(true)
    expect(isPoison(new RangeError('truncated buffer'))).toBe(true)
    expect(isPoison(Object.assign(new Error('Service Unavailable'), { status: 503 }))).toBe(false)
    expect(isPoison(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(false)
    expect(isPoison(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(false)
  })
})

describe('isUnstorable', () => {
  const chError = (type: string) => Object.assign(new Error(type), { type, code: '0' })
  it('gives up on rows whose values ClickHouse refuses', () => {
    for (const t of ['UNKNOWN_ELEMENT_OF_ENUM', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'TYPE_MISMATCH', 'VIOLATED_CONSTRAINT', 'CANNOT_PARSE_DATETIME']) expect(isUnstorable(chError(t))).toBe(true)
  })
  it('waits out a ClickHouse that is busy, in maintenance or unreachable', () => {
    for (const t of ['UNKNOWN_TABLE', 'TOO_MANY_PARTS', 'MEMORY_LIMIT_EXCEEDED', 'TIMEOUT_EXCEEDED', 'TABLE_IS_READ_ONLY']) expect(isUnstorable(chError(t))).toBe(false)
    expect(isUnstorable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(false)
    expect(isUnstorable(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(false)
  })
})

describe('retryDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    const policy = { baseMs: 250, maxMs: 30_000 }
    expect([1, 2, 3, 4, 8, 50].map((n) => retryDelay(n, policy))).toEqual([250, 500, 1000, 2000, 30_000, 30_000])
  })
})
