import { describe, expect, it } from 'vitest'
import { unionOfReads } from '../../graphql/batched-rows.js'

describe('unionOfReads: independent reads as one query', () => {
  it('gives each read its own parameters (same names, other values), tags its rows with its place and keeps their order', () => {
    const u = unionOfReads([
      { sql: 'SELECT a FROM t WHERE id = {id:String} AND n < {n:UInt32} ORDER BY a', params: { id: 'x', n: 3 } },
      { sql: 'SELECT b FROM u WHERE id = {id:String} LIMIT {n:UInt32}', params: { id: 'y', n: 5 } },
    ])
    expect(u.params).toEqual({ id_r0: 'x', n_r0: 3, id_r1: 'y', n_r1: 5 })
    expect(u.sql).toContain('FROM (SELECT a FROM t WHERE id = {id_r0:String} AND n < {n_r0:UInt32} ORDER BY a)')
    expect(u.sql).toContain('FROM (SELECT b FROM u WHERE id = {id_r1:String} LIMIT {n_r1:UInt32})')
    expect(u.sql).toMatch(/^SELECT _part, _row FROM \(SELECT 0 AS _part, rowNumberInAllBlocks\(\) AS _n, formatRowNoNewline\('JSONEachRow', \*\) AS _row FROM/)
    expect(u.sql).toContain('\nUNION ALL\nSELECT 1 AS _part')
    expect(u.sql).toMatch(/ORDER BY _part, _n$/)
    // Every parameter the SQL names is given.
    for (const [, name] of u.sql.matchAll(/\{([A-Za-z0-9_]+):/g)) expect(u.params).toHaveProperty(name)
  })
})
