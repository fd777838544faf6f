import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, Float, InputType, Int, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql'
import { queryRows } from '../processors/clickhouse-rows.js'
import { Account } from './account.js'
import {
  accountCountQuery,
  accountPageQuery,
  CursorError,
  decodeCursor,
  encodeCursor,
  filterProblems,
  type AccountOrderField as OrderField,
  type OrderDirection as Direction,
} from './account-list-query.js'
import type { GraphQLContext } from './context.js'

export enum AccountOrderField {
  ID = 'ID',
  SCORE = 'SCORE',
  SCORE_CHANGE = 'SCORE_CHANGE',
  CHURN_RISK = 'CHURN_RISK',
  MRR = 'MRR',
  REVENUE_AT_RISK = 'REVENUE_AT_RISK',
  RENEWAL_DATE = 'RENEWAL_DATE',
}
registerEnumType(AccountOrderField, {
  name: 'AccountOrderField',
  description: 'What accounts are ordered by; ties by id. Accounts without the value (no score, no prediction, no subscription) come last in either direction.',
  valuesConfig: {
    SCORE_CHANGE: { description: 'Change of the score over 7 days.' },
    CHURN_RISK: { description: "Churn probability from the model in force (none while it is not READY)." },
    REVENUE_AT_RISK: { description: 'Churn probability × MRR.' },
  },
})

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' })

@InputType({ description: 'An inclusive range; either end may be left open.' })
export class FloatRange {
  @Field(() => Float, { nullable: true })
  min?: number | null

  @Field(() => Float, { nullable: true })
  max?: number | null
}

@InputType({ description: 'Every condition given must hold; a list matches any of its values.' })
export class AccountFilter {
  @Field(() => [String], { nullable: true, description: 'Tiers of the latest score (e.g. HEALTHY, STABLE, AT_RISK, CRITICAL).' })
  tiers?: string[] | null

  @Field(() => [String], { nullable: true, description: 'ENTERPRISE, MID_MARKET, SMB or OTHER.' })
  segments?: string[] | null

  @Field(() => [String], { nullable: true })
  csmIds?: string[] | null

  @Field(() => [String], { nullable: true })
  plans?: string[] | null

  @Field(() => Int, { nullable: true, description: 'Renewal date from today to this many days ahead.' })
  renewalWithinDays?: number | null

  @Field(() => FloatRange, { nullable: true, description: 'Churn probability, 0-1.' })
  churnProbability?: FloatRange | null

  @Field(() => FloatRange, { nullable: true, description: 'Health score, 0-100.' })
  score?: FloatRange | null

  @Field(() => String, { nullable: true, description: 'Case-insensitive part of the account id or name.' })
  search?: string | null
}

@InputType()
export class AccountOrder {
  @Field(() => AccountOrderField, { defaultValue: AccountOrderField.ID })
  field: AccountOrderField = AccountOrderField.ID

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction: OrderDirection = OrderDirection.ASC
}

@ObjectType({ description: 'Relay connection page information.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean

  @Field(() => Boolean, { description: 'True when this page was asked for after a cursor (pages are only walked forward).' })
  hasPreviousPage!: boolean

  @Field(() => String, { nullable: true })
  startCursor!: string | null

  @Field(() => String, { nullable: true })
  endCursor!: string | null
}

@ObjectType()
export class AccountEdge {
  @Field(() => String)
  cursor!: string

  @Field(() => Account)
  node!: Account
}

@ObjectType({ description: 'A page of accounts (Relay cursor connection).' })
export class AccountConnection {
  @Field(() => [AccountEdge])
  edges!: AccountEdge[]

  @Field(() => PageInfo)
  pageInfo!: PageInfo

  @Field(() => Int, { description: 'Accounts matching the filter, on every page.' })
  totalCount!: number
}

export const MAX_PAGE = 100

@Resolver()
export class AccountListResolver {
  @Query(() => AccountConnection, { description: 'Accounts, filtered and ordered, a page at a time (first ≤ 100, after = the endCursor of the previous page).' })
  async accounts(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AccountFilter, { nullable: true }) filter: AccountFilter | null,
    @Arg('orderBy', () => AccountOrder, { nullable: true }) orderBy: AccountOrder | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AccountConnection> {
    const order = { field: (orderBy?.field ?? 'ID') as OrderField, direction: (orderBy?.direction ?? 'ASC') as Direction }
    const problems = filterProblems(filter ?? {})
    if (first < 1 || first > MAX_PAGE) problems.unshift(`first must be 1-${MAX_PAGE}, got ${first}`)
    if (problems.length) throw new GraphQLError(`accounts: ${problems.join('; ')}`, { extensions: { code: 'BAD_USER_INPUT', problems } })
    let cursor = null
    try {
      cursor = after ? decodeCursor(after, order) : null
    } catch (err) {
      if (err instanceof CursorError) throw new GraphQLError(`accounts: ${err.message}`, { extensions: { code: 'BAD_USER_INPUT' } })
      throw err
    }
    const training = await ctx.loaders.latestTraining()
    // Probabilities of a model that is not READY are not served, so they neither filter nor order.
    const modelVersion = training?.status === 'READY' ? training.version : ''
    const page = accountPageQuery(filter ?? {}, order, cursor, first + 1, modelVersion)
    const rows = await queryRows<{ account_id: string; sort_key: number | null; total: string | number }>(ctx.clickhouse, page.sql, page.params)
    let total = Number(rows[0]?.total ?? 0)
    if (!rows.length && cursor) {
      const count = accountCountQuery(filter ?? {}, modelVersion)
      total = Number((await queryRows<{ n: string }>(ctx.clickhouse, count.sql, count.params))[0]?.n ?? 0)
    }
    const edges = rows.slice(0, first).map((r) => ({ cursor: encodeCursor({ ...order, value: r.sort_key === null ? null : Number(r.sort_key), id: r.account_id }), node: { id: r.account_id } }))
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: cursor !== null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: total,
    }
  }
}
