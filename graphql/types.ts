import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql'
import type { HealthTier as Tier } from '../processors/health-score.js'

// Every @Field names its type explicitly: vitest and tsx compile with esbuild, which emits no decorator metadata.

export enum HealthTier {
  HEALTHY = 'HEALTHY',
  NEUTRAL = 'NEUTRAL',
  AT_RISK = 'AT_RISK',
}
registerEnumType(HealthTier, { name: 'HealthTier', description: 'Band of the 0–100 health score: HEALTHY ≥ 70, NEUTRAL ≥ 40, AT_RISK below.' })

@ObjectType({ description: "An account's current customer health." })
export class HealthScore {
  @Field(() => Int, { description: '0 (churning) to 100 (thriving).' })
  score!: number

  @Field(() => HealthTier)
  tier!: Tier

  @Field(() => Date, { description: 'When the score was computed.' })
  computedAt!: Date
}

@ObjectType({ description: 'A customer account, identified by the accountId its events carry.' })
export class Account {
  @Field(() => ID)
  id!: string
}

@ObjectType({ description: "A new score for an account, pushed when the account's score or tier changes." })
export class HealthScoreChange {
  @Field(() => ID)
  accountId!: string

  @Field(() => Int)
  score!: number

  @Field(() => HealthTier)
  tier!: Tier

  @Field(() => Date)
  computedAt!: Date
}
