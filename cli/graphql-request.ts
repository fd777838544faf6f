/** One GraphQL request to a running Pulse: its data, or an error naming the server and what it answered. */
export async function graphqlRequest<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] }
  if (body.errors?.length || !body.data) throw new Error(`GraphQL at ${url} answered: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status} without data`}`)
  return body.data
}
