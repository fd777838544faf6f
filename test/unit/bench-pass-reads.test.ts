import { describe, expect, it } from 'vitest'
import { inlineParams, passReads } from '../../bench/support/pass-reads.js'

describe('the freshness bench: a pass read with its values written in', () => {
  it('replaces each parameter by a literal cast to its type, quotes escaped', () => {
    const sql = "SELECT 1 WHERE account_id IN {accountIds:Array(String)} AND t <= {asOf:DateTime64(3, 'UTC')} AND n = {n:UInt32}"
    expect(inlineParams(sql, { accountIds: ["a'b", 'c\\d'], asOf: '2026-12-06 20:00:00.000', n: 7 })).toBe(
      "SELECT 1 WHERE account_id IN CAST(['a\\'b', 'c\\\\d'] AS Array(String)) AND t <= CAST('2026-12-06 20:00:00.000' AS DateTime64(3, 'UTC')) AND n = CAST(7 AS UInt32)",
    )
  })

  it('names a parameter it has no value for', () => {
    expect(() => inlineParams('SELECT {x:UInt8}', {})).toThrow('no value for the parameter {x:UInt8}')
  })

  it('leaves no parameter in any of the seven reads', () => {
    const reads = passReads(['acct_1', 'acct_2'], Date.UTC(2026, 11, 6, 20))
    expect(Object.keys(reads)).toEqual(['accounts', 'usage', 'sparse', 'sources', 'latest', 'past', 'fingerprints'])
    for (const sql of Object.values(reads)) expect(sql).not.toMatch(/\{[A-Za-z_]\w*:/)
    expect(reads.past).toContain("CAST('2026-11-29' AS Date)")
  })
})
