import { describe, expect, it } from 'vitest'
import { parseMigrations, readMigrations, splitStatements } from '../../migrations/runner.js'

describe('migration files', () => {
  it('are ordered by their number and each holds statements', () => {
    const m = readMigrations()
    expect(m.map((x) => x.version)).toEqual([...m.map((x) => x.version)].sort((a, b) => a - b))
    expect(m[0].name).toBe('001_events.sql')
    for (const x of m) expect(x.statements.length).toBeGreaterThan(0)
  })

  it('split on statement-ending semicolons only', () => {
    expect(splitStatements("-- note; not a split\nCREATE TABLE a (s String DEFAULT ';');\n\nCREATE TABLE b (x UInt8);\n")).toEqual([
      "CREATE TABLE a (s String DEFAULT ';')",
      'CREATE TABLE b (x UInt8)',
    ])
  })

  it('refuse badly named or clashing files', () => {
    expect(() => parseMigrations([{ name: 'events.sql', sql: 'SELECT 1' }])).toThrow(/NNN_description/)
    expect(() => parseMigrations([{ name: '001_a.sql', sql: 'SELECT 1' }, { name: '1_b.sql', sql: 'SELECT 2' }])).toThrow(/share version 1/)
  })
})
