import { describe, expect, it } from 'vitest'
import { isPoison } from '../../processors/index.js'

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
