import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'

export const MIGRATIONS_DIR = path.dirname(fileURLToPath(import.meta.url))

export interface Migration {
  version: number
  name: string
  checksum: string
  statements: string[]
}

/** Pure: reads `NNN_name.sql` files into ordered migrations. */
export function parseMigrations(files: { name: string; sql: string }[]): Migration[] {
  const migrations = files
    .filter((f) => f.name.endsWith('.sql'))
    .map((f) => {
      const m = /^(\d+)_([\w-]+)\.sql$/.exec(f.name)
      if (!m) throw new Error(`migration file "${f.name}" must be named NNN_description.sql`)
      return {
        version: Number(m[1]),
        name: f.name,
        checksum: crypto.createHash('sha256').update(f.sql).digest('hex'),
        statements: splitStatements(f.sql),
      }
    })
    .sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`migrations ${migrations[i - 1].name} and ${migrations[i].name} share version ${migrations[i].version}`)
    }
  }
  return migrations
}

/** ClickHouse's HTTP interface runs one statement per request, so a file is split on statement-ending semicolons. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean)
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return parseMigrations(fs.readdirSync(dir).map((name) => ({ name, sql: fs.readFileSync(path.join(dir, name), 'utf8') })))
}

/**
 * Applies pending migrations in order and records each; refuses to run when an already-applied file changed,
 * because the database no longer matches what the repository says it is.
 */
export async function migrate(client: ClickHouseClient, migrations = readMigrations()): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  })
  const rs = await client.query({ query: 'SELECT version, name, checksum FROM schema_migrations ORDER BY version', format: 'JSONEachRow' })
  const applied = new Map((await rs.json<{ version: number; name: string; checksum: string }>()).map((r) => [Number(r.version), r]))
  const done: string[] = []
  for (const m of migrations) {
    const previous = applied.get(m.version)
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new Error(`migration ${m.name} was changed after it was applied (recorded as ${previous.name}); add a new migration instead`)
      }
      continue
    }
    for (const statement of m.statements) await client.command({ query: statement })
    await client.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name, checksum: m.checksum }], format: 'JSONEachRow' })
    done.push(m.name)
  }
  return done
}
