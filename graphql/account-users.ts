/** The account's known users and their latest traits, from `user_identified`: part of the account 360. */
import { GraphQLError } from 'graphql'
import { GraphQLJSON } from 'graphql-scalars'
import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql'
import { queryRows } from '../processors/clickhouse-rows.js'
import { Account } from './account.js'
import type { GraphQLContext } from './context.js'
import { mergeUserTraits, type UserTraits } from './user-traits.js'

@ObjectType({ description: "A user of the account and their latest traits (user_identified: Segment's identify call)." })
export class AccountUser implements UserTraits {
  @Field(() => String)
  userId!: string

  @Field(() => String, { nullable: true })
  email!: string | null

  @Field(() => String, { nullable: true })
  name!: string | null

  @Field(() => String, { nullable: true })
  title!: string | null

  @Field(() => String, { nullable: true })
  role!: string | null

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD.' })
  signupDate!: string | null

  @Field(() => GraphQLJSON, { description: 'Every other trait by name, each value as sent (JSON-encoded unless it was a string).' })
  traits!: Record<string, string>

  @Field(() => Date, { description: 'When the latest user_identified of this user happened.' })
  identifiedAt!: Date
}

@Resolver(() => Account)
export class AccountUsersResolver {
  @FieldResolver(() => [AccountUser], { description: "The account's identified users (user_identified events), most recently identified first: first ≤ 500." })
  async users(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Arg('first', () => Int, { defaultValue: 100 }) first: number): Promise<AccountUser[]> {
    if (first < 1 || first > 500) throw new GraphQLError(`users: first must be 1-500, got ${first}`, { extensions: { code: 'BAD_USER_INPUT' } })
    // FINAL: a duplicate stored before its merge counts once. Bounded: an account's identify calls, not its activity.
    const rows = await queryRows<{ user_id: string; ts: string | number; properties: string }>(
      ctx.clickhouse,
      `SELECT user_id, toUnixTimestamp64Milli(timestamp) AS ts, properties FROM events FINAL
       WHERE account_id = {id:String} AND event = 'user_identified' AND user_id IS NOT NULL
       ORDER BY timestamp DESC, message_id DESC LIMIT 50000`,
      { id: account.id },
    )
    return mergeUserTraits(rows.map((r) => ({ userId: r.user_id, at: Number(r.ts), properties: JSON.parse(r.properties) }))).slice(0, first)
  }
}
