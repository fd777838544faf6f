import { describe, expect, it } from 'vitest'
import { SPARSE_WINDOW_DAYS, sparseSql } from '../../processors/scoring/measure-query.js'
import { entryHolds, entryOf } from '../../processors/scoring/sparse-memo.js'

describe('the memo of facts aggregates (pure)', () => {
  it('knows every window the facts aggregates use: a new one would leave held aggregates stale', () => {
    const days = new Set([...sparseSql('').matchAll(/INTERVAL (\d+) DAY/g)].map((m) => Number(m[1])))
    expect([...days].filter((d) => d !== 0 && !(SPARSE_WINDOW_DAYS as readonly number[]).includes(d))).toEqual([])
    expect(sparseSql('', undefined, true)).toContain('AS nextChange')
    expect(sparseSql('')).not.toContain('nextChange')
  })

  it('holds an entry from its as-of time up to (not at) its next change, for the same fingerprint only', () => {
    const entry = entryOf({ account_id: 'a', asOf: '1000', nextChange: '5000', ticketsOpened30: '2' }, 'f1', 1000, undefined)
    expect(entry).toEqual({ row: { account_id: 'a', asOf: '1000', nextChange: '5000', ticketsOpened30: '2' }, fingerprint: 'f1', asOf: 1000, until: 5000 })
    expect(entryHolds(entry, 'f1', 1000)).toBe(true)
    expect(entryHolds(entry, 'f1', 4999)).toBe(true)
    expect(entryHolds(entry, 'f1', 5000)).toBe(false)
    expect(entryHolds(entry, 'f1', 999)).toBe(false)
    expect(entryHolds(entry, 'f2', 2000)).toBe(false)
    expect(entryHolds(undefined, 'f1', 2000)).toBe(false)
  })

  it('ends an entry at a fact dated ahead when that comes first, and never for an account without facts or changes', () => {
    expect(entryOf({ account_id: 'a', nextChange: '5000' }, 'f', 1000, 3000).until).toBe(3000)
    expect(entryOf({ account_id: 'a', nextChange: null }, 'f', 1000, undefined).until).toBe(Infinity)
    expect(entryOf(undefined, 'f', 1000, undefined)).toEqual({ row: undefined, fingerprint: 'f', asOf: 1000, until: Infinity })
    expect(entryOf(undefined, 'f', 1000, 7000).until).toBe(7000)
  })
})
