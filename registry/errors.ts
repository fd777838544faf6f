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
  subjectSoftDeleted: (s: string) => new RegistryError(404, 40404, `Subject '${s}' was soft deleted. Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (s: string) => new RegistryError(404, 40405, `Subject '${s}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (s: string, v: number) =>
    new RegistryError(404, 40406, `Subject '${s}' Version ${v} was soft deleted. Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (s: string, v: number) =>
    new RegistryError(404, 40407, `Subject '${s}' Version ${v} was not deleted first before being permanently deleted`),
  subjectConfigNotFound: (s: string) => new RegistryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  subjectModeNotFound: (s: string) => new RegistryError(404, 40409, `Subject '${s}' does not have subject-level mode configured`),
  incompatible: (reasons: string[]) =>
    new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject; ${reasons.join('; ')}`),
  idConflict: (id: number) => new RegistryError(409, 40901, `Schema id ${id} already belongs to a different schema`),
  invalidSchema: (why: string) => new RegistryError(422, 42201, `Invalid schema: ${why}`),
  invalidVersion: (v: string) =>
    new RegistryError(422, 42202, `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  invalidCompatibility: (level: unknown) =>
    new RegistryError(422, 42203, `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive; got ${JSON.stringify(level)}`),
  invalidUnknownProperties: (v: unknown) =>
    new RegistryError(422, 42203, `Invalid unknownProperties. Valid values are REJECT (refuse events with undeclared properties) and REPORT (accept them and report drift); got ${JSON.stringify(v)}`),
  invalidMode: (mode: unknown) => new RegistryError(422, 42204, `Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT; got ${JSON.stringify(mode)}`),
  notPermitted: (why: string) => new RegistryError(422, 42205, why),
  referenceExists: (what: string) => new RegistryError(422, 42206, `One or more references exist to the schema ${what}`),
  unsupportedSchemaType: (t: unknown) => new RegistryError(422, 42201, `Invalid schema: schemaType ${JSON.stringify(t)} is not supported; this registry stores AVRO`),
  badRequest: (why: string) => new RegistryError(422, 42201, why),
}
