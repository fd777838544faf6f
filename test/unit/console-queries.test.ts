import fs from 'node:fs'
import path from 'node:path'
import { buildSchema, parse, validate } from 'graphql'
import { describe, expect, it } from 'vitest'

// The console uses only the public API: every operation it sends must be valid against the reviewed SDL.
const schema = buildSchema(fs.readFileSync('docs/schema.graphql', 'utf8'))
const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []))
const operations = sources('console/src').flatMap((file) =>
  [...fs.readFileSync(file, 'utf8').matchAll(/[`'](\s*(?:query|mutation|subscription)\b[^`'{]*\{[^`']*)[`']/g)].map((m) => ({ file, text: m[1] })),
)

describe('the console’s GraphQL operations', () => {
  it('are found in its sources', () => {
    expect(operations.length).toBeGreaterThanOrEqual(4)
  })

  it.each(operations.map((o) => [`${o.file}: ${o.text.trim().slice(0, 40)}`, o.text]))('%s is valid against docs/schema.graphql', (_name, text) => {
    expect(validate(schema, parse(text)).map((e) => e.message)).toEqual([])
  })
})
