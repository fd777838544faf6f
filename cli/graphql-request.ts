import type { GraphQLEndpoint } from './credentials.js'

/** One GraphQL request to a running Pulse: its data, or an error naming the server and what it answered. */
export async function graphqlRequest<T>(endpoint: GraphQLEndpoint, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: endpoint.authorization }, body: JSON.stringify({ query, variables }) })
  const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] }
  if (body.errors?.length || !body.data) throw new Error(`GraphQL at ${endpoint.url} answered: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status} without data`}`)
  return body.data
}
