import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql'
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

@ObjectType({ description: 'One kind of refusal at the gateway over the report window, aggregated.' })
export class DriftEntry {
  @Field(() => String, { description: 'Event name (schema subject) the producer sent.' })
  subject!: string

  @Field(() => Int, { description: 'Schema version checked against; 0 when the envelope was refused before.' })
  version!: number

  @Field(() => String, { description: 'type_mismatch, missing_field, unknown_field, unknown_event, or an envelope error.' })
  kind!: string

  @Field(() => String)
  path!: string

  @Field(() => String)
  expected!: string

  @Field(() => String)
  actual!: string

  @Field(() => String, { description: 'The API key name that sent the events.' })
  source!: string

  @Field(() => Float, { description: 'How many refused events this entry stands for.' })
  events!: number

  @Field(() => Date)
  firstSeen!: Date

  @Field(() => Date)
  lastSeen!: Date

  @Field(() => String, { description: 'A refused payload with its values replaced by their types.' })
  sample!: string
}
