import { generate } from '@graphql-codegen/cli'
import { describe, expect, it } from 'vitest'
import config from '../../docs/examples/graphql-client/codegen.js'

describe('a standard codegen on the committed SDL', () => {
  it('GraphQL Code Generator types a data team’s query against docs/schema.graphql, unchanged', async () => {
    const [output] = await generate({ ...config, silent: true }, false)
    expect(output.filename).toBe('docs/examples/graphql-client/generated.ts')
    expect(output.content).toContain(
      'export type AtRiskAccountsQuery = { accounts: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, ' +
        'profile: { name: string | null, mrrCents: number | null, csmId: string | null } | null, healthScore: { score: number | null, tier: string | null } | null, ' +
        'churnRisk: { probability: number | null, revenueAtRisk: number | null } | null } }> } };',
    )
    expect(output.content).toMatch(/export type AccountOrderField =\n(.*\n)*? {2}\| 'CHURN_RISK'\n/)
  }, 60_000)
})
