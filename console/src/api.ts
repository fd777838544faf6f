/**
 * The console's only way to Pulse: the public GraphQL API over HTTP, with the API key the user gave. Errors
 * keep what the API said, so the pages can show it as it is.
 */

export class MissingKeyError extends Error {}

/** The API refused the key (401) or its scope (403): the console asks for another. */
export class KeyRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

export class ApiError extends Error {}

export interface Connection<T> {
  edges: { cursor: string; node: T }[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
  totalCount?: number
}

export async function graphql<T>(key: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  if (!key) throw new MissingKeyError('an API key is needed')
  let res: Response
  try {
    res = await fetch(new URL('/graphql', location.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    })
  } catch (err) {
    throw new ApiError(`Pulse's API could not be reached (${(err as Error).message})`)
  }
  const body = (await res.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null
  const first = body?.errors?.[0]
  if (res.status === 401 || res.status === 403 || first?.extensions?.code === 'UNAUTHENTICATED' || first?.extensions?.code === 'FORBIDDEN') {
    throw new KeyRefusedError(first?.message ?? `the API answered ${res.status}`, res.status === 200 ? 403 : res.status)
  }
  if (first) throw new ApiError(body!.errors!.map((e) => e.message).join('; '))
  if (!res.ok || !body?.data) throw new ApiError(`the API answered HTTP ${res.status}`)
  return body.data
}
