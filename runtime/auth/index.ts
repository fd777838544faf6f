/** API keys and their scopes: who may call which Pulse surface (gateway, registry, GraphQL). */
export { ApiKeys, generateApiKey, hasScope, mayTrack, scopesOf, type ApiKey, type ConfiguredKey } from './api-keys.js'
export { authorize, type Authorization } from './authorize.js'
export { basic, bearer, readAuthorization, writeKeyBasic, type Credentials } from './credentials.js'
export { parseScopes, SCOPES, splitApiKeyEntry, UNSCOPED, type Scope } from './scopes.js'
