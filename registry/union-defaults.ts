import avro from 'avsc'

/**
 * Avro 1.12 lets a union field's default be a value of any branch: "Default values for union fields
 * correspond to the first schema that matches in the union" (Specification, Records), as Java's
 * Schema.isValidDefault checks. avsc 5.7 still holds it to the first branch: its Field constructor parses a
 * default with the union's `_copy(value, { wrap: 2 })`, which always picks branch 0. The unions made here
 * try the branches in order instead; every other use of `_copy` is avsc's own.
 */
const PARSING_DEFAULT = 2

interface CopyOptions {
  wrap?: number
}

/** avsc's internal copy, which also parses defaults; not in its type declarations. */
interface Copies {
  _copy(value: unknown, opts?: CopyOptions): unknown
}

/** Where the last default that fit no branch is told, in words naming its field when known. */
export interface UnionDefaultFailure {
  message?: string
}

interface UnionContext {
  failure: UnionDefaultFailure
  /** The field whose type the union is, e.g. `field seats of record Sub`. */
  field?: string
}

const contexts = new WeakMap<avro.Type, UnionContext>()
const unwrappedCopy = (avro.types.UnwrappedUnionType.prototype as unknown as Copies)._copy
const wrappedCopy = (avro.types.WrappedUnionType.prototype as unknown as Copies)._copy

class UnwrappedUnion extends avro.types.UnwrappedUnionType {
  _copy(value: unknown, opts?: CopyOptions): unknown {
    if (opts?.wrap !== PARSING_DEFAULT) return unwrappedCopy.call(this, value, opts)
    return firstFittingBranch(this, value, opts, (_branch, copy) => copy)
  }
}

class WrappedUnion extends avro.types.WrappedUnionType {
  _copy(value: unknown, opts?: CopyOptions): unknown {
    if (opts?.wrap !== PARSING_DEFAULT) return wrappedCopy.call(this, value, opts)
    // A wrapped union holds null bare and every other value inside its branch's wrapper.
    return firstFittingBranch(this, value, opts, (branch, copy) =>
      (branch as any).typeName === 'null' ? null : new (branch as any)._branchConstructor(copy),
    )
  }
}

function firstFittingBranch(union: avro.Type, value: unknown, opts: CopyOptions, wrap: (branch: avro.Type, copy: unknown) => unknown): unknown {
  const context = contexts.get(union)
  for (const branch of (union as any).types as avro.Type[]) {
    let copy: unknown
    try {
      copy = (branch as unknown as Copies)._copy(value, opts)
    } catch {
      continue
    }
    // A nested union that failed inside a branch tried before no longer explains anything.
    if (context) context.failure.message = undefined
    return wrap(branch, copy)
  }
  const branches = `[${((union as any).types as avro.Type[]).map((b: any) => JSON.stringify(b.name ?? b.typeName)).join(', ')}]`
  const message = context?.field
    ? `the default of ${context.field}, ${JSON.stringify(value)}, fits no branch of its union ${branches}`
    : `${JSON.stringify(value)} in a default fits no branch of the union ${branches}`
  if (context) context.failure.message = message
  throw new Error(message)
}

/**
 * A typeHook for avsc's Type.forSchema that builds every union with Avro 1.12's rule for defaults, and
 * tells `failure` about a default that fits no branch. Usable wherever avsc parses schemas Pulse accepts.
 */
export function unionDefaultsHook(failure: UnionDefaultFailure = {}): (schema: avro.Schema, opts: avro.ForSchemaOptions) => avro.Type | undefined {
  // Union schemas are arrays inside a field's object; the record is seen before its fields' types.
  const fieldOf = new WeakMap<object, string>()
  return (schema, opts) => {
    if (!Array.isArray(schema)) {
      const s = schema as { type?: unknown; name?: unknown; fields?: unknown }
      if ((s.type === 'record' || s.type === 'error') && Array.isArray(s.fields)) {
        for (const f of s.fields as { name?: unknown; type?: unknown }[]) {
          if (Array.isArray(f?.type)) fieldOf.set(f.type, `field ${f.name} of record ${s.name}`)
        }
      }
      return undefined
    }
    // Called again below with the branches already built: that call is avsc's own.
    if (schema.every((b) => avro.Type.isType(b))) return undefined
    const branches = schema.map((b) => avro.Type.forSchema(b, opts))
    // avsc decides wrapped or unwrapped (ambiguous branches, the wrapUnions option); the class is ours.
    const plain = avro.Type.forSchema(branches as unknown as avro.Schema, opts)
    const union = plain instanceof avro.types.WrappedUnionType ? new WrappedUnion(branches as unknown as avro.Schema, opts) : new UnwrappedUnion(branches as unknown as avro.Schema, opts)
    contexts.set(union, { failure, field: fieldOf.get(schema) })
    return union
  }
}
