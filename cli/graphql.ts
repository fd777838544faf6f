import fs from 'node:fs'
import { parseArgs } from 'node:util'

export const GRAPHQL_USAGE = `usage: pulse graphql schema [--out FILE]

  prints the GraphQL API's schema (SDL, types in alphabetical order); docs/schema.graphql holds the
  reviewed copy, and the test suite fails when the two differ
`

export async function graphqlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true })
  if (values.help || positionals[0] !== 'schema' || positionals.length > 1) {
    console.log(GRAPHQL_USAGE)
    return values.help ? 0 : 2
  }
  const { printPulseSchema } = await import('../graphql/index.js')
  const sdl = await printPulseSchema()
  if (values.out) fs.writeFileSync(values.out, sdl)
  else process.stdout.write(sdl)
  return 0
}
