/**
 * What stands between a query and the ClickHouse engine: limits on the document (GraphQL Armor: depth, cost,
 * aliases, tokens, directives; no field suggestions that map the schema for a stranger), a time limit on each
 * ClickHouse query, and errors that carry a code and never a stack trace.
 */
import type { ApolloServerPlugin } from '@apollo/server'
import type { ClickHouseClient } from '@clickhouse/client'
import { ApolloArmor } from '@escape.tech/graphql-armor'
import { GraphQLError, specifiedRules, validate, type GraphQLFormattedError, type ValidationRule } from 'graphql'

/** The document limits; README lists them, and a test holds each one. */
export const QUERY_LIMITS = {
  /**
   * The deepest legitimate path today is 6 (accounts → edges → node → healthScore → components → name); the
   * schema has no cycles yet, so this guards the ones to come (an account's playbooks' accounts …).
   */
  maxDepth: 8,
  maxAliases: 15,
  maxTokens: 3000,
  maxDirectives: 20,
  /**
   * graphql-armor's cost (2 per object, 1 per scalar, × 1.5 per level of depth; `first` is not counted): a
   * page of accounts with every 360 field costs ~25,000, so two fit and five do not.
   */
  maxCost: 60_000,
} as const

export interface Protection {
  validationRules: ValidationRule[]
  plugins: ApolloServerPlugin[]
  /** Apollo's parseOptions: the token limit, enforced by graphql-js's parser. */
  parseOptions: { maxTokens: number }
  /** graphql-ws's `validate`: the same rules for subscriptions as for queries. */
  validate: typeof validate
}

export function queryProtection(): Protection {
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    // graphql-js's own parser limit instead (Apollo's parseOptions): armor's throws from a plugin hook, which
    // Apollo answers 500 as if the server had failed; a parse error is the client's, answered 400.
    maxTokens: { enabled: false },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    costLimit: { maxCost: QUERY_LIMITS.maxCost },
    blockFieldSuggestion: { enabled: true },
  }).protect()
  const rules = armor.validationRules
  return {
    validationRules: rules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    // graphql-armor types its plugins against @apollo/server's CommonJS build, Pulse imports the ESM one: same shape.
    plugins: armor.plugins as unknown as ApolloServerPlugin[],
    validate: (schema, document, ownRules = specifiedRules, options, typeInfo) => validate(schema, document, [...ownRules, ...rules], options, typeInfo),
  }
}

/** ClickHouse's "Timeout exceeded" (TIMEOUT_EXCEEDED); over HTTP the client's own request timeout reads alike. */
const CLICKHOUSE_TIMEOUT = /TIMEOUT_EXCEEDED|Timeout exceeded|Timeout error/i

/**
 * The client with every query limited to `timeoutMs` (ClickHouse's max_execution_time, so the engine stops
 * the query rather than the caller walking away from it), for the API's requests only: training and sweeps
 * keep running as long as they need.
 */
export function withQueryTimeout(clickhouse: ClickHouseClient, timeoutMs: number): ClickHouseClient {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000))
  return new Proxy(clickhouse, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver)
      return async (params: Parameters<ClickHouseClient['query']>[0]) => {
        try {
          return await target.query({ ...params, clickhouse_settings: { max_execution_time: seconds, ...params.clickhouse_settings } } as never)
        } catch (err) {
          if (err instanceof Error && CLICKHOUSE_TIMEOUT.test(err.message)) {
            throw new GraphQLError(`a query took longer than ${seconds} s (PULSE_GRAPHQL_QUERY_TIMEOUT) and was stopped; narrow the request (fewer accounts, a shorter period)`, {
              extensions: { code: 'TIMEOUT' },
            })
          }
          throw err
        }
      }
    },
  })
}

/**
 * Apollo's formatError: a code on every error, and for an error no resolver meant to show (a ClickHouse or
 * Redis failure), a fixed message — the cause goes to the log, not to whoever sent the query.
 */
export function formatError(log: (err: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR'
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {}
    if (code === 'INTERNAL_SERVER_ERROR' && !isMeantForUsers(error)) {
      log(error)
      return { message: 'Internal server error (logged on the server)', locations: formatted.locations, path: formatted.path, extensions: { code } }
    }
    return { ...formatted, extensions: { ...extensions, code } }
  }
}

/** A GraphQLError a resolver threw on purpose (not one graphql-js wrapped around an unexpected throw). */
function isMeantForUsers(error: unknown): boolean {
  const original = (error as { originalError?: unknown } | undefined)?.originalError
  return original === undefined || (original instanceof GraphQLError && original.extensions?.code !== undefined)
}
