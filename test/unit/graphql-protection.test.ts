import { buildSchema, GraphQLError, parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { formatError, QUERY_LIMITS, queryProtection } from '../../graphql/protection.js'

describe('GraphQL protection', () => {
  it('refuses a query deeper than the depth limit (on a schema with a cycle, as Pulse will have)', () => {
    const schema = buildSchema('type Node { id: ID, child: Node } type Query { node: Node }')
    const nest = (depth: number): string => (depth === 1 ? 'id' : `child { ${nest(depth - 1)} }`)
    const { validate } = queryProtection()
    const ok = validate(schema, parse(`{ node { ${nest(QUERY_LIMITS.maxDepth - 1)} } }`))
    expect(ok).toEqual([])
    const errors = (() => {
      try {
        return validate(schema, parse(`{ node { ${nest(QUERY_LIMITS.maxDepth + 1)} } }`))
      } catch (err) {
        return [err as GraphQLError]
      }
    })()
    expect(errors[0].message).toMatch(new RegExp(`Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded`))
  })

  it('gives every error a code, drops stack traces, and hides the cause of unexpected failures', () => {
    const logged: unknown[] = []
    const format = formatError((err) => logged.push(err))
    const internal = new GraphQLError('connect ECONNREFUSED 127.0.0.1:8123', { originalError: new Error('connect ECONNREFUSED 127.0.0.1:8123') })
    const shown = format({ message: internal.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, internal)
    expect(shown).toEqual({ message: 'Internal server error (logged on the server)', locations: undefined, path: undefined, extensions: { code: 'INTERNAL_SERVER_ERROR' } })
    expect(logged).toEqual([internal])
    const meant = new GraphQLError('accounts: first must be 1-100, got 500', { originalError: new GraphQLError('accounts: first must be 1-100, got 500', { extensions: { code: 'BAD_USER_INPUT' } }) })
    expect(format({ message: meant.message, extensions: { code: 'BAD_USER_INPUT', stacktrace: ['at y'] } }, meant)).toEqual({ message: meant.message, extensions: { code: 'BAD_USER_INPUT' } })
    expect(format({ message: 'Syntax Error: Unexpected Name "x".' }, new GraphQLError('Syntax Error'))).toEqual({ message: 'Syntax Error: Unexpected Name "x".', extensions: { code: 'INTERNAL_SERVER_ERROR' } })
  })
})
