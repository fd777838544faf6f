/**
 * Pure: an account's users and their latest traits from its `user_identified` events (Segment's identify call,
 * or sent directly). A trait sent as null keeps its previous value, as the event's schema says.
 */

/** One stored user_identified event. */
export interface IdentifiedRow {
  userId: string
  /** Epoch ms of the event. */
  at: number
  properties: Record<string, unknown>
}

export interface UserTraits {
  userId: string
  email: string | null
  name: string | null
  title: string | null
  role: string | null
  /** YYYY-MM-DD. */
  signupDate: string | null
  /** Every other trait by name, as sent (JSON-encoded unless it was a string). */
  traits: Record<string, string>
  /** When the latest user_identified of this user happened. */
  identifiedAt: Date
}

const FIELDS = ['email', 'name', 'title', 'role'] as const

/** Each user's traits as of their latest event, later values over earlier ones (null keeps the earlier); most recently identified first. */
export function mergeUserTraits(rows: IdentifiedRow[]): UserTraits[] {
  const users = new Map<string, UserTraits>()
  for (const r of [...rows].sort((a, b) => a.at - b.at)) {
    const u = users.get(r.userId) ?? { userId: r.userId, email: null, name: null, title: null, role: null, signupDate: null, traits: {}, identifiedAt: new Date(r.at) }
    for (const f of FIELDS) if (typeof r.properties[f] === 'string') u[f] = r.properties[f] as string
    const signup = r.properties.signupDate
    if (typeof signup === 'number') u.signupDate = new Date(signup * 86_400_000).toISOString().slice(0, 10)
    const other = r.properties.otherTraits
    if (other && typeof other === 'object') Object.assign(u.traits, other)
    u.identifiedAt = new Date(r.at)
    users.set(r.userId, u)
  }
  return [...users.values()].sort((a, b) => b.identifiedAt.getTime() - a.identifiedAt.getTime() || a.userId.localeCompare(b.userId))
}
