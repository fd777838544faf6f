/**
 * Pure: the ClickHouse queries behind `accounts(filter, orderBy, first, after)` — one for the page, one for
 * the total — and the opaque cursors of its keyset pagination. A cursor holds the ordering it came from, the
 * sort value and the account id of the row it points at; the next page starts strictly after that (value,
 * id) pair, so pages stay stable while scores change between requests and no account is skipped or repeated
 * by an insert before the cursor.
 */

export const ACCOUNT_ORDER_FIELDS = ['ID', 'SCORE', 'SCORE_CHANGE', 'CHURN_RISK', 'MRR', 'REVENUE_AT_RISK', 'RENEWAL_DATE'] as const
export type AccountOrderField = (typeof ACCOUNT_ORDER_FIELDS)[number]
export type OrderDirection = 'ASC' | 'DESC'

export interface AccountListFilter {
  tiers?: string[] | null
  segments?: string[] | null
  csmIds?: string[] | null
  plans?: string[] | null
  /** Renewal date between today and this many days ahead. */
  renewalWithinDays?: number | null
  churnProbability?: { min?: number | null; max?: number | null } | null
  score?: { min?: number | null; max?: number | null } | null
  /** Case-insensitive substring of the account id or name. */
  search?: string | null
}

export interface AccountListOrder {
  field: AccountOrderField
  direction: OrderDirection
}

export interface Cursor {
  field: AccountOrderField
  direction: OrderDirection
  /** The row's sort value as the query computed it (null: the account has none; always null for ID ordering). */
  value: number | null
  id: string
}

export class CursorError extends Error {}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.field, c.direction, c.value, c.id])).toString('base64url')
}

/** The cursor, checked against the ordering of the request it is used in. */
export function decodeCursor(text: string, order: AccountListOrder): Cursor {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw new CursorError(`after: "${text}" is not a cursor this API returned`)
  }
  if (!Array.isArray(parts) || parts.length !== 4 || typeof parts[3] !== 'string' || !(parts[2] === null || typeof parts[2] === 'number')) {
    throw new CursorError(`after: "${text}" is not a cursor this API returned`)
  }
  const [field, direction, value, id] = parts as [AccountOrderField, OrderDirection, number | null, string]
  if (field !== order.field || direction !== order.direction) {
    throw new CursorError(`after: the cursor comes from a list ordered by ${field} ${direction}, this request orders by ${order.field} ${order.direction}; start again without after`)
  }
  return { field, direction, value, id }
}

/** Sort values; an account without one (no score, no prediction, no subscription) sorts last either way. */
const SORT_EXPRESSIONS: Record<Exclude<AccountOrderField, 'ID'>, string> = {
  SCORE: 'toFloat64(score)',
  SCORE_CHANGE: 'toFloat64(change_7d)',
  CHURN_RISK: 'probability',
  MRR: 'toFloat64(mrr_cents)',
  REVENUE_AT_RISK: 'probability * predicted_mrr_cents / 100',
  RENEWAL_DATE: 'toFloat64(toInt32(renewal_date))',
}

/**
 * Every account with its latest score and the in-force model's prediction, one row each; with its profile
 * columns only when the filter or the ordering needs them (the profile view adds ~20 ms or more on 50,000
 * accounts, its state read with FINAL and finished). The accounts are the scored ones: an account is scored seconds after
 * its first event, and the hourly sweep scores every account seen.
 */
function accountsSource(withProfile: boolean): string {
  const scored = `
  SELECT s.account_id AS account_id, s.score AS score, s.tier AS tier, s.change_7d AS change_7d, c.probability AS probability, c.mrr_cents AS predicted_mrr_cents
  FROM (SELECT account_id, score, tier, change_7d FROM health_scores_latest FINAL) AS s
  LEFT JOIN (SELECT account_id, probability, mrr_cents FROM churn_predictions FINAL WHERE model_version = {modelVersion:String}) AS c ON c.account_id = s.account_id`
  if (!withProfile) return scored
  return `
  SELECT a.*, p.name AS name, p.segment AS segment, p.csm_id AS csm_id, p.plan AS plan, p.mrr_cents AS mrr_cents, p.renewal_date AS renewal_date
  FROM (${scored}) AS a
  LEFT JOIN (SELECT account_id, name, segment, csm_id, plan, mrr_cents, renewal_date FROM account_profiles) AS p ON p.account_id = a.account_id`
}

const PROFILE_FIELDS: AccountOrderField[] = ['MRR', 'RENEWAL_DATE']
const needsProfile = (f: AccountListFilter, order?: AccountListOrder) =>
  Boolean(f.segments || f.csmIds || f.plans || f.search || (f.renewalWithinDays !== undefined && f.renewalWithinDays !== null) || (order && PROFILE_FIELDS.includes(order.field)))

function filterSql(f: AccountListFilter): { conditions: string[]; params: Record<string, unknown> } {
  const conditions: string[] = []
  const params: Record<string, unknown> = {}
  const list = (column: string, name: string, values: string[] | null | undefined) => {
    if (!values) return
    conditions.push(`ifNull(${column}, '') IN {${name}:Array(String)}`)
    params[name] = values
  }
  list('tier', 'tiers', f.tiers)
  list('segment', 'segments', f.segments)
  list('csm_id', 'csmIds', f.csmIds)
  list('plan', 'plans', f.plans)
  if (f.renewalWithinDays !== undefined && f.renewalWithinDays !== null) {
    conditions.push('renewal_date >= today() AND renewal_date <= today() + {renewalWithinDays:UInt32}')
    params.renewalWithinDays = f.renewalWithinDays
  }
  const range = (expr: string, name: string, r: AccountListFilter['score']) => {
    if (r?.min !== undefined && r.min !== null) {
      conditions.push(`${expr} >= {${name}Min:Float64}`)
      params[`${name}Min`] = r.min
    }
    if (r?.max !== undefined && r.max !== null) {
      conditions.push(`${expr} <= {${name}Max:Float64}`)
      params[`${name}Max`] = r.max
    }
  }
  range('probability', 'churn', f.churnProbability)
  range('score', 'score', f.score)
  if (f.search) {
    conditions.push("(positionCaseInsensitiveUTF8(account_id, {search:String}) > 0 OR positionCaseInsensitiveUTF8(ifNull(name, ''), {search:String}) > 0)")
    params.search = f.search
  }
  return { conditions, params }
}

/** The problems of a filter, in words (empty when it is fine). */
export function filterProblems(f: AccountListFilter): string[] {
  const problems: string[] = []
  if (f.renewalWithinDays !== undefined && f.renewalWithinDays !== null && (f.renewalWithinDays < 0 || f.renewalWithinDays > 3650)) problems.push(`filter.renewalWithinDays must be 0-3650 days, got ${f.renewalWithinDays}`)
  for (const [name, r, low, high] of [['churnProbability', f.churnProbability, 0, 1], ['score', f.score, 0, 100]] as const) {
    if (!r) continue
    for (const end of ['min', 'max'] as const) {
      const v = r[end]
      if (v !== undefined && v !== null && (v < low || v > high)) problems.push(`filter.${name}.${end} must be between ${low} and ${high}, got ${v}`)
    }
    if (r.min !== undefined && r.min !== null && r.max !== undefined && r.max !== null && r.min > r.max) problems.push(`filter.${name}: min ${r.min} is above max ${r.max}`)
  }
  return problems
}

/**
 * The page, each row with the total of accounts matching the filter (a window over the filtered rows, taken
 * before the cursor narrows them): one query instead of a page and a count.
 */
export function accountPageQuery(filter: AccountListFilter, order: AccountListOrder, after: Cursor | null, limit: number, modelVersion: string): { sql: string; params: Record<string, unknown> } {
  const { conditions, params } = filterSql(filter)
  const asc = order.direction === 'ASC'
  const key = order.field === 'ID' ? 'CAST(NULL, \'Nullable(Float64)\')' : SORT_EXPRESSIONS[order.field]
  let position = ''
  if (after) {
    params.afterId = after.id
    if (order.field === 'ID') position = `account_id ${asc ? '>' : '<'} {afterId:String}`
    else if (after.value === null) position = '(sort_key IS NULL AND account_id > {afterId:String})'
    else {
      // Accounts with a value come first, in the asked direction, then those without, each group by id.
      position = `(sort_key IS NULL OR sort_key ${asc ? '>' : '<'} {afterValue:Float64} OR (sort_key = {afterValue:Float64} AND account_id > {afterId:String}))`
      params.afterValue = after.value
    }
  }
  const sql = `
SELECT account_id, sort_key, total FROM (
  SELECT account_id, ${key} AS sort_key, count() OVER () AS total FROM (${accountsSource(needsProfile(filter, order))})
  ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
)
${position ? `WHERE ${position}` : ''}
ORDER BY ${order.field === 'ID' ? `account_id ${order.direction}` : `sort_key IS NULL, sort_key ${order.direction}, account_id ASC`}
LIMIT {limit:UInt32}
SETTINGS join_use_nulls = 1`
  return { sql, params: { ...params, limit, modelVersion } }
}

/** The total alone, for a page past the last row (which carries no total). */
export function accountCountQuery(filter: AccountListFilter, modelVersion: string): { sql: string; params: Record<string, unknown> } {
  const { conditions, params } = filterSql(filter)
  const sql = `SELECT count() AS n FROM (${accountsSource(needsProfile(filter))}) ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} SETTINGS join_use_nulls = 1`
  return { sql, params: { ...params, modelVersion } }
}
