import { describeValue, type Violation } from '../violations.js'

/**
 * Pure: Segment's traits as the properties of Pulse's catalog events. `group` traits become `account_updated`
 * (Segment's reserved group traits where the event has a field for them); `identify` traits become
 * `user_identified`, keeping every trait it has no field for in `otherTraits`, so nothing a producer sends is lost.
 */

const GROUP_TRAITS = 'name, industry, segment, csmId, country (or address.country), createdAt'

/**
 * `account_updated` properties from a group call's traits, and each trait it has no field for as an
 * `unknown_field` violation: not stored, reported as drift, so the producer's operators see what is dropped.
 */
export function groupTraits(traits: Record<string, unknown>): { properties: Record<string, unknown>; unknown: Violation[] } {
  const properties: Record<string, unknown> = {}
  const unknown: Violation[] = []
  const drop = (path: string, value: unknown) =>
    unknown.push({
      path,
      kind: 'unknown_field',
      expected: `a group trait account_updated has a field for (${GROUP_TRAITS})`,
      actual: describeValue(value),
      message: `${path}: not stored, account_updated has no field for it (mapped traits: ${GROUP_TRAITS})`,
    })
  for (const key in traits) {
    const value = traits[key]
    // Segment clears a trait with null; account_updated keeps the previous value for a null field, the nearest meaning.
    if (value === undefined) continue
    switch (key) {
      case 'name':
      case 'industry':
      case 'csmId':
        properties[key] = value
        break
      case 'country':
        properties.country = upperIfString(value)
        break
      case 'segment':
        // "Mid-Market", "mid market" → MID_MARKET; anything else is checked against the enum and refused if it is not one.
        properties.segment = typeof value === 'string' ? value.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_') : value
        break
      case 'createdAt':
        properties.signupDate = days(value)
        break
      case 'address':
        if (isObject(value)) {
          for (const part in value) {
            if (part === 'country') properties.country ??= upperIfString(value.country)
            else drop(`traits.address.${part}`, value[part])
          }
        } else drop('traits.address', value)
        break
      case 'id':
        // Segment's reserved trait repeating the groupId: the account itself, nothing to keep.
        break
      default:
        drop(`traits.${key}`, value)
    }
  }
  return { properties, unknown }
}

const USER_FIELDS = new Set(['email', 'name', 'title', 'role'])

/** `user_identified` properties from an identify call's traits: named fields where it has them, every other trait in otherTraits. */
export function identifyTraits(traits: Record<string, unknown>): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  const otherTraits: Record<string, string> = {}
  for (const key in traits) {
    const value = traits[key]
    if (value === undefined || value === null) continue
    if (USER_FIELDS.has(key)) properties[key] = value
    else if (key === 'createdAt') properties.signupDate = days(value)
    else otherTraits[key] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  if (properties.name === undefined && (typeof traits.firstName === 'string' || typeof traits.lastName === 'string')) {
    properties.name = [traits.firstName, traits.lastName].filter((s) => typeof s === 'string' && s).join(' ')
  }
  properties.otherTraits = otherTraits
  return properties
}

/**
 * Segment's createdAt (an ISO date or date-time, or epoch seconds or milliseconds told apart by size) as days
 * since 1970-01-01 for an Avro `date`; anything else is passed on as sent, for the schema check to refuse it.
 */
export function days(value: unknown): unknown {
  let ms: number | undefined
  if (typeof value === 'string') ms = Date.parse(value)
  else if (typeof value === 'number' && Number.isFinite(value)) ms = Math.abs(value) < 1e11 ? value * 1000 : value
  return ms !== undefined && Number.isFinite(ms) ? Math.floor(ms / 86_400_000) : value
}

function upperIfString(v: unknown): unknown {
  return typeof v === 'string' ? v.toUpperCase() : v
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
