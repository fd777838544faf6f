import avro from 'avsc'

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

export function isCompatibilityLevel(v: unknown): v is CompatibilityLevel {
  return typeof v === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(v)
}

export interface ExistingVersion {
  version: number
  type: avro.Type
}

/**
 * Pure: the reasons `candidate` may not join a subject whose live versions are `existing` (oldest first)
 * under `level`; empty when compatible. Resolution itself is avsc's schema resolver, which implements the
 * Avro specification's rules (promotions, defaults, enums, unions, aliases).
 */
export function compatibilityReasons(level: CompatibilityLevel, candidate: avro.Type, existing: ExistingVersion[]): string[] {
  if (level === 'NONE' || existing.length === 0) return []
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1)
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL')
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL')
  const reasons: string[] = []
  for (const old of against) {
    if (backward) {
      const why = cannotResolve(candidate, old.type)
      if (why) reasons.push(`the new schema cannot read data written with version ${old.version}: ${why}`)
    }
    if (forward) {
      const why = cannotResolve(old.type, candidate)
      if (why) reasons.push(`consumers on version ${old.version} cannot read data written with the new schema: ${why}`)
    }
  }
  return reasons
}

function cannotResolve(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}
