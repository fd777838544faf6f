import { describe, expect, it } from 'vitest'
import { unionOfReads } from '../../processors/batched-rows.js'

describe('unionOfReads: independent reads as one query', () => {
  it('gives a read its own parameters where names meet other values, tags its rows with its place and keeps their order', () => {
    const u = unionOfReads([
      { sql: 'SELECT a FROM t WHERE id = {id:String} AND n < {n:UInt32} ORDER BY a', params: { id: 'x', n: 3 } },
      { sql: 'SELECT b FROM u WHERE id = {id:String} LIMIT {n:UInt32}', params: { id: 'y', n: 5 } },
    ])
    expect(u.params).toEqual({ id: 'x', n: 3, id_r1: 'y', n_r1: 5 })
    expect(u.sql).toContain('FROM (SELECT a FROM t WHERE id = {id:String} AND n < {n:UInt32} ORDER BY a)')
    expect(u.sql).toContain('FROM (SELECT b FROM u WHERE id = {id_r1:String} LIMIT {n_r1:UInt32})')
    expect(u.sql).toMatch(/^SELECT _part, _row FROM \(SELECT 0 AS _part, rowNumberInAllBlocks\(\) AS _n, formatRowNoNewline\('JSONEachRow', \*\) AS _row FROM/)
    expect(u.sql).toContain('\nUNION ALL\nSELECT 1 AS _part')
    expect(u.sql).toMatch(/ORDER BY _part, _n$/)
    // Every parameter the SQL names is given.
    for (const [, name] of u.sql.matchAll(/\{([A-Za-z0-9_]+):/g)) expect(u.params).toHaveProperty(name)
  })

  it('sends a value several reads share (the same list of ids) once, and keeps names the SQL does not declare as they are', () => {
    const ids = ['a', 'b']
    const u = unionOfReads([
      { sql: 'SELECT x FROM t WHERE id IN {ids:Array(String)} AND d = {d:Date}', params: { ids, d: '2026-12-01' } },
      { sql: 'SELECT y FROM u WHERE id IN {ids:Array(String)} AND d = {d:Date}', params: { ids, d: '2026-12-02' } },
      { sql: "SELECT z FROM v WHERE id IN {ids:Array(String)} AND s = '{x:'", params: { ids: ['a', 'b'] } },
    ])
    expect(u.params).toEqual({ ids, d: '2026-12-01', d_r1: '2026-12-02', ids_r2: ['a', 'b'] })
    expect(u.sql).toContain('FROM (SELECT y FROM u WHERE id IN {ids:Array(String)} AND d = {d_r1:Date})')
    // An equal list that is not the same value is sent again: sharing is by identity, not by content.
    expect(u.sql).toContain("FROM (SELECT z FROM v WHERE id IN {ids_r2:Array(String)} AND s = '{x:')")
  })
})
