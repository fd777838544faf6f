import { ApiKeys, bearer } from '../../runtime/auth/index.js'
import type { RegistryAccess } from '../../registry/index.js'

/** The key registry tests work with: it may write (admin) and so read. */
export const ADMIN = { name: 'registry-admin', secret: 'registry-admin-secret' }
export const adminAuthorization = bearer(ADMIN.secret)

/** A registry's access with the admin key configured (no Redis: keys from configuration only). */
export function testRegistryAccess(extra: Partial<RegistryAccess> = {}): RegistryAccess {
  return { apiKeys: new ApiKeys(undefined, 'test', new Map([[ADMIN.name, { secret: ADMIN.secret, scopes: ['admin'] }]])), ...extra }
}

/** fetch with the admin key. */
export function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: adminAuthorization } })
}
