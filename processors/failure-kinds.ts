/**
 * Which failures a record causes (dead-letter it: retrying can never help) and which a dependency causes
 * (pause and retry: the record is fine, the registry, ClickHouse, Redis or Kafka is away).
 */

/** Whether decoding failed because of the record itself rather than the registry being away. */
export function isPoison(err: unknown): boolean {
  const e = err as { status?: number; code?: string; name?: string; cause?: { code?: string } }
  if (typeof e?.status === 'number') return e.status >= 400 && e.status < 500
  const code = e?.code ?? e?.cause?.code
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)) return false
  return !(e?.name === 'TypeError' && String((err as Error).message).includes('fetch failed'))
}

/**
 * ClickHouse error types that name a value the table cannot hold (a column narrowed by hand, an enum
 * without the symbol, a number out of range, a CHECK constraint an operator added). Every other ClickHouse
 * failure (UNKNOWN_TABLE during maintenance, TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, timeouts, a refused
 * connection) passes with time.
 */
const UNSTORABLE = /^(CANNOT_PARSE_\w+|CANNOT_READ_\w+|CANNOT_CONVERT_TYPE|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|TYPE_MISMATCH|UNKNOWN_ELEMENT_OF_ENUM|INCORRECT_DATA|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|TOO_LARGE_STRING_SIZE|TOO_LARGE_ARRAY_SIZE|NO_SUCH_COLUMN_IN_TABLE|INCORRECT_NUMBER_OF_COLUMNS|ATTEMPT_TO_READ_AFTER_EOF|ILLEGAL_TYPE_OF_ARGUMENT|ARGUMENT_OUT_OF_BOUND|VIOLATED_CONSTRAINT)$/

/** Whether ClickHouse refused an insert because of the rows in it, so the same rows will always be refused. */
export function isUnstorable(err: unknown): boolean {
  const type = (err as { type?: unknown })?.type
  return typeof type === 'string' && UNSTORABLE.test(type)
}

/** Exponential backoff for retrying a dependency: base, 2·base, 4·base … capped at max. */
export function retryDelay(attempt: number, opts: { baseMs: number; maxMs: number }): number {
  return Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1))
}

/** A failure in one line for logs and dead-letter headers: ClickHouse's error type or the errno code, then the message. */
export function describeFailure(err: unknown): string {
  const e = err as { type?: string; code?: string; message?: string }
  return [e?.type ?? e?.code, e?.message ?? String(err)].filter(Boolean).join(': ').slice(0, 500)
}
