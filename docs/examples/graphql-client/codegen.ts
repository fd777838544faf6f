// GraphQL Code Generator, unchanged: Pulse's committed SDL plus a team's operations → typed client code.
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: 'docs/schema.graphql',
  documents: 'docs/examples/graphql-client/operations.graphql',
  generates: {
    'docs/examples/graphql-client/generated.ts': {
      plugins: ['typescript', 'typescript-operations'],
      config: { scalars: { DateTimeISO: 'string', JSON: 'unknown' }, enumsAsTypes: true, avoidOptionals: true },
    },
  },
}
export default config
