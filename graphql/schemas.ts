/**
 * Read-only view of the schema registry (Confluent REST API: /subjects, /subjects/{s}/versions,
 * /subjects/{s}/versions/latest, /config/{s}?defaultToGlobal=true), so data consumers see the event
 * contracts next to the data. Changes go through `pulse schemas push` and CI, never through this API.
 */
import { GraphQLError } from 'graphql'
import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root } from 'type-graphql'
import type { GraphQLContext } from './context.js'

@ObjectType({ description: 'One registered version of an event schema.' })
export class SchemaVersion {
  @Field(() => Int)
  version!: number

  @Field(() => Int, { description: 'The registry-wide schema id events carry.' })
  id!: number

  @Field(() => String, { description: 'The Avro schema, as JSON text.' })
  schema!: string
}

@ObjectType({ description: 'An event subject of the registry.' })
export class EventSchema {
  @Field(() => String)
  subject!: string

  @Field(() => [Int])
  versions!: number[]
}

async function registry<T>(ctx: GraphQLContext, path: string): Promise<T> {
  if (!ctx.registryUrl) throw new GraphQLError('the schema registry is not known to this GraphQL server', { extensions: { code: 'SERVICE_UNAVAILABLE' } })
  let res: Response
  try {
    res = await fetch(`${ctx.registryUrl}${path}`, { headers: { accept: 'application/vnd.schemaregistry.v1+json', ...(ctx.registryAuthorization ? { authorization: ctx.registryAuthorization } : {}) }, signal: AbortSignal.timeout(5000) })
  } catch (err) {
    throw new GraphQLError(`the schema registry at ${ctx.registryUrl} did not answer: ${(err as Error).message}`, { extensions: { code: 'SERVICE_UNAVAILABLE' } })
  }
  if (!res.ok) throw new GraphQLError(`the schema registry answered ${res.status} to ${path}`, { extensions: { code: res.status === 404 ? 'NOT_FOUND' : 'SERVICE_UNAVAILABLE' } })
  return (await res.json()) as T
}

@Resolver(() => EventSchema)
export class SchemaResolver {
  @Query(() => [EventSchema], { description: 'The registry’s subjects (one per event), alphabetically; subject narrows to one.' })
  async schemas(@Ctx() ctx: GraphQLContext, @Arg('subject', () => String, { nullable: true }) subject: string | null): Promise<EventSchema[]> {
    const subjects = subject ? [subject] : (await registry<string[]>(ctx, '/subjects')).sort()
    return Promise.all(subjects.map(async (s) => ({ subject: s, versions: await registry<number[]>(ctx, `/subjects/${encodeURIComponent(s)}/versions`) })))
  }

  @FieldResolver(() => String, { description: 'The compatibility level in force for the subject (its own, else the global one).' })
  async compatibility(@Root() s: EventSchema, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await registry<{ compatibilityLevel: string }>(ctx, `/config/${encodeURIComponent(s.subject)}?defaultToGlobal=true`)).compatibilityLevel
  }

  @FieldResolver(() => SchemaVersion)
  async latest(@Root() s: EventSchema, @Ctx() ctx: GraphQLContext): Promise<SchemaVersion> {
    return registry<SchemaVersion>(ctx, `/subjects/${encodeURIComponent(s.subject)}/versions/latest`)
  }

  @FieldResolver(() => SchemaVersion, { nullable: true, description: 'One version; null when there is no such version.' })
  async version(@Root() s: EventSchema, @Ctx() ctx: GraphQLContext, @Arg('version', () => Int) version: number): Promise<SchemaVersion | null> {
    if (!s.versions.includes(version)) return null
    return registry<SchemaVersion>(ctx, `/subjects/${encodeURIComponent(s.subject)}/versions/${version}`)
  }
}
