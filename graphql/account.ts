import { Arg, Ctx, Field, FieldResolver, Float, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql'
import { chDate, type GraphQLContext } from './context.js'

// Every @Field names its type explicitly: vitest and tsx compile with esbuild, which emits no decorator metadata.

@ObjectType({ description: 'A customer account, identified by the accountId its events carry.' })
export class Account {
  @Field(() => ID)
  id!: string
}

@ObjectType({ description: 'A support ticket opened and not resolved yet.' })
export class OpenTicket {
  @Field(() => String)
  ticketId!: string

  @Field(() => String, { description: 'P1 to P4, or UNKNOWN.' })
  severity!: string
}

@ObjectType({ description: 'How many open tickets an account has of one severity.' })
export class SeverityCount {
  @Field(() => String)
  severity!: string

  @Field(() => Int)
  count!: number
}

@ObjectType({ description: "The account 360: one current profile derived from the account's events and kept up to date as they arrive." })
export class AccountProfile {
  @Field(() => String, { nullable: true, description: 'From account_updated.' })
  name!: string | null

  @Field(() => String, { nullable: true, description: 'ENTERPRISE, MID_MARKET, SMB or OTHER, from account_updated.' })
  segment!: string | null

  @Field(() => String, { nullable: true })
  industry!: string | null

  @Field(() => String, { nullable: true, description: 'The owning CSM (account_updated), else the last CSM who logged an activity.' })
  csmId!: string | null

  @Field(() => String, { nullable: true })
  country!: string | null

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD, from account_updated.' })
  signupDate!: string | null

  @Field(() => Date, { description: "The account's first event." })
  firstSeen!: Date

  @Field(() => Date)
  lastSeen!: Date

  @Field(() => Date, { nullable: true, description: 'Last login or feature use.' })
  lastActivity!: Date | null

  @Field(() => String, { nullable: true })
  plan!: string | null

  @Field(() => Float, { nullable: true, description: 'Monthly recurring revenue in minor units (cents), from the latest subscription_updated.' })
  mrrCents!: number | null

  @Field(() => String, { nullable: true })
  currency!: string | null

  @Field(() => Int, { nullable: true })
  termMonths!: number | null

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD.' })
  renewalDate!: string | null

  @Field(() => Boolean, { nullable: true })
  autoRenew!: boolean | null

  @Field(() => String, { nullable: true, description: 'TRIALING, ACTIVE, PAST_DUE, PAUSED, CANCELED or UNKNOWN.' })
  subscriptionStatus!: string | null

  @Field(() => Int, { nullable: true })
  seatsPurchased!: number | null

  @Field(() => Int, { nullable: true })
  seatsActive!: number | null

  @Field(() => Date, { nullable: true, description: 'When the account last canceled (subscription_canceled or a CANCELED status).' })
  canceledAt!: Date | null

  @Field(() => Date, { nullable: true })
  lastCsmTouch!: Date | null

  @Field(() => String, { nullable: true, description: 'The CSM who logged the last activity.' })
  lastCsmTouchBy!: string | null

  @Field(() => Int, { nullable: true, description: 'Latest NPS answer, 0-10.' })
  latestNps!: number | null

  @Field(() => Int, { nullable: true, description: 'Latest CSAT rating, 1-5.' })
  latestCsat!: number | null

  @Field(() => [OpenTicket])
  openTickets!: OpenTicket[]

  @Field(() => [SeverityCount])
  openTicketsBySeverity!: SeverityCount[]

  @Field(() => [String], { description: 'Invoices with a failed payment and no invoice_paid since.' })
  unpaidInvoices!: string[]
}

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { description: 'The account with this id; its fields are empty until its first event is stored.' })
  account(@Arg('id', () => ID) id: string): Account {
    return { id }
  }

  @FieldResolver(() => AccountProfile, { nullable: true, description: 'The account 360 profile; null before its first event is stored.' })
  async profile(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<AccountProfile | null> {
    const r = await ctx.loaders.profile.load(account.id)
    if (!r) return null
    const time = (t: string | null) => (t ? chDate(t) : null)
    const tickets: OpenTicket[] = r.openTickets.map(([ticketId, severity]) => ({ ticketId, severity }))
    const bySeverity = new Map<string, number>()
    for (const t of tickets) bySeverity.set(t.severity, (bySeverity.get(t.severity) ?? 0) + 1)
    return {
      ...r,
      firstSeen: chDate(r.firstSeen),
      lastSeen: chDate(r.lastSeen),
      lastActivity: time(r.lastActivity),
      canceledAt: time(r.canceledAt),
      lastCsmTouch: time(r.lastCsmTouch),
      // ClickHouse may send Int64 as a string; booleans are 0/1 as the view gives them.
      mrrCents: r.mrrCents === null ? null : Number(r.mrrCents),
      autoRenew: r.autoRenew === null ? null : Boolean(r.autoRenew),
      openTickets: tickets,
      openTicketsBySeverity: [...bySeverity].sort().map(([severity, count]) => ({ severity, count })),
    }
  }
}
