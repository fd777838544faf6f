import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import type { RegistryTarget } from './rest-client.js'
import { unionDefaultsHook } from './union-defaults.js'

type Middleware = NonNullable<NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]>['middlewares']>[number]

/**
 * Options for a Confluent client (its avsc) to parse every schema this registry accepts: union defaults
 * on any branch, as Avro 1.12 allows and avsc alone does not.
 */
export function registryClientOptions(): ConstructorParameters<typeof SchemaRegistry>[1] {
  return { [SchemaType.AVRO]: { typeHook: unionDefaultsHook() } }
}

/**
 * The kafkajs registry client for a target, presenting its Authorization header on every call (its own `auth`
 * option sends Basic only, and a Pulse key given as PULSE_API_KEY is a bare secret, sent as Bearer), and parsing
 * schemas as the registry does.
 */
export function schemaRegistryClient(target: RegistryTarget): SchemaRegistry {
  const { url, authorization } = target
  const withAuthorization: Middleware = () => ({
    prepareRequest: (next) => next().then((request) => (authorization ? request.enhance({ headers: { authorization } }) : request)),
  })
  return new SchemaRegistry({ host: url, middlewares: [withAuthorization] }, registryClientOptions())
}
