/** Confluent Schema Registry's error vocabulary: HTTP status plus the `error_code` clients switch on. */
export class RegistryError extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string) {
    super(message)
    this.name = 'RegistryError'
  }
  toJSON() {
    return { error_code: this.errorCode, message: this.message }
  }
}

export const errors = {
  subjectNotFound: (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`),
  versionNotFound: (s: string, v: string | number) => new RegistryError(404, 40402, `Version ${v} not found for subject '${s}'.`),
  schemaNotFound: (what = 'Schema not found') => new RegistryError(404, 40403, what),
  subjectConfigNotFound: (s: string) => new RegistryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  incompatible: (reasons: string[]) =>
    new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject; ${reasons.join('; ')}`),
  invalidSchema: (why: string) => new RegistryError(422, 42201, `Invalid schema: ${why}`),
  invalidVersion: (v: string) => new RegistryError(422, 42202, `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  invalidCompatibility: (level: unknown) =>
    new RegistryError(422, 42203, `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive; got ${JSON.stringify(level)}`),
  unsupportedSchemaType: (t: unknown) => new RegistryError(422, 42201, `Invalid schema: schemaType ${JSON.stringify(t)} is not supported; this registry stores AVRO`),
  badRequest: (why: string) => new RegistryError(422, 42201, why),
}
