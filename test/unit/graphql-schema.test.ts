import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { printPulseSchema } from '../../graphql/index.js'

describe('the GraphQL schema as a reviewed artifact', () => {
  it('docs/schema.graphql is exactly what `pulse graphql schema` prints (regenerate it with --out docs/schema.graphql and review the diff)', async () => {
    const committed = fs.readFileSync(new URL('../../docs/schema.graphql', import.meta.url), 'utf8')
    expect(await printPulseSchema()).toBe(committed)
  })
})
