import { SchemaRegistry } from '@kafkajs/confluent-schema-registry'
import type { RegistryTarget } from './rest-client.js'

type Middleware = NonNullable<NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]>['middlewares']>[number]

/**
 * The kafkajs registry client for a target, presenting its Authorization header on every call. Its own `auth`
 * option sends Basic only, and a Pulse key given as PULSE_API_KEY is a bare secret (Bearer).
 */
export function schemaRegistryClient(target: RegistryTarget): SchemaRegistry {
  const { url, authorization } = target
  const withAuthorization: Middleware = () => ({
    prepareRequest: (next) => next().then((request) => (authorization ? request.enhance({ headers: { authorization } }) : request)),
  })
  return new SchemaRegistry({ host: url, middlewares: [withAuthorization] })
}
