import type { ApolloServerPlugin } from '@apollo/server'
import { getOperationAST, GraphQLError, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql'
import type { Context as WsContext } from 'graphql-ws'
import { authorize, hasScope, type ApiKey, type ApiKeys, type Authorization, type Scope } from '../runtime/auth/index.js'
import type { GraphQLContext } from './context.js'

/** Queries and subscriptions read; mutations (training the churn model, playbook tasks) write. */
export function operationScope(operation: Pick<OperationDefinitionNode, 'operation'>): Scope {
  return operation.operation === 'mutation' ? 'write' : 'read'
}

function refusal(decided: Exclude<Authorization, { ok: true }>): GraphQLError {
  const code = decided.status === 401 ? 'UNAUTHENTICATED' : decided.status === 403 ? 'FORBIDDEN' : 'SERVICE_UNAVAILABLE'
  const headers = new Map(decided.status === 401 ? [['www-authenticate', 'Bearer']] : [])
  return new GraphQLError(decided.status === 503 ? `${decided.message}; retry later` : decided.message, { extensions: { code, http: { status: decided.status, headers } } })
}

/** The request's key if it may read; else throws the GraphQL error Apollo answers with (401, 403 or 503). */
export async function readerOf(apiKeys: ApiKeys, authorization: string | undefined): Promise<ApiKey> {
  const decided = await authorize(apiKeys, authorization, ['read'])
  if (!decided.ok) throw refusal(decided)
  return decided.key
}

/** The error for an operation the key may not run, if any. */
function forbiddenOperation(key: ApiKey | undefined, operation: OperationDefinitionNode | null | undefined): GraphQLError | undefined {
  if (!key || !operation) return undefined
  const scope = operationScope(operation)
  if (hasScope(key, scope)) return undefined
  return new GraphQLError(`API key "${key.name}" may not run a ${operation.operation}: it needs the ${scope} scope`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } })
}

/** Apollo: every HTTP request's key may read (checked in the context); a mutation also needs write. */
export function operationAccessPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          const refused = forbiddenOperation(contextValue.apiKey, operation)
          if (refused) throw refused
        },
      }
    },
  }
}

export type WsExtra = { apiKey?: ApiKey }

/**
 * graphql-ws: the key comes in connection_init's payload (`{ "authorization": "Bearer <secret>" }`, what browsers
 * can send) or on the upgrade request's Authorization header. Without one that may read, the socket closes
 * with 4401 Unauthorized or 4403 Forbidden before any operation runs.
 */
export function webSocketAccess(apiKeys: ApiKeys, parseOptions: { maxTokens: number }) {
  return {
    async onConnect(ctx: WsContext<Record<string, unknown> | undefined, WsExtra & { socket: { close(code: number, reason: string): void }; request: { headers: Record<string, string | string[] | undefined> } }>) {
      const params = ctx.connectionParams ?? {}
      const fromParams = params.authorization ?? params.Authorization
      const header = typeof fromParams === 'string' ? fromParams : (ctx.extra.request.headers.authorization as string | undefined)
      const decided = await authorize(apiKeys, header, ['read'])
      if (decided.ok) {
        ctx.extra.apiKey = decided.key
        return true
      }
      // Close reasons are limited to 123 bytes: the code says which refusal, the reason what to send.
      if (decided.status === 401) ctx.extra.socket.close(4401, 'Unauthorized: send an API key with the read scope as connection_init {authorization}')
      else if (decided.status === 403) ctx.extra.socket.close(4403, 'Forbidden: the API key needs the read scope')
      else ctx.extra.socket.close(1013, 'API keys could not be checked; retry later')
      return false
    },
    /** A mutation over the socket needs write, as over HTTP; a document over the token limit is refused as over HTTP. */
    onSubscribe(ctx: WsContext<Record<string, unknown> | undefined, WsExtra>, _id: string, payload: { query: string; operationName?: string | null }) {
      let document: DocumentNode
      try {
        document = parse(payload.query, parseOptions)
      } catch (err) {
        return [err instanceof GraphQLError ? err : new GraphQLError(String(err))]
      }
      const refused = forbiddenOperation(ctx.extra.apiKey, getOperationAST(document, payload.operationName ?? undefined))
      return refused ? [refused] : undefined
    },
  }
}
