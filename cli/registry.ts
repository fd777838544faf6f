import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { registryRest, type RegistryTarget } from '../registry/rest-client.js'
import { registryTarget } from './credentials.js'
import { importOrder, parseRegistryExport, type RegistryExport } from '../registry/transfer.js'

export const REGISTRY_USAGE = `usage: pulse registry <command>

  export [--registry URL] [--out FILE]           the whole registry (ids, versions, soft-deleted ones, settings) as JSON
  import --file FILE [--registry URL] [--force]  load an export, keeping ids and versions; also reads a list of
                                                 Confluent subject versions or the records of its _schemas topic

  Credentials: --user-info NAME:SECRET (Confluent's basic.auth.user.info; or PULSE_REGISTRY_USER_INFO), else a
  Pulse key (--key, PULSE_API_KEY, PULSE_API_KEYS, or the running \`pulse dev\`'s; import needs the admin scope).
`

export async function exportRegistry(registry: string | RegistryTarget): Promise<RegistryExport> {
  const call = registryRest(registry)
  const ok = async (path: string) => {
    const r = await call('GET', path)
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.body?.message ?? ''}`)
    return r.body
  }
  const exp: RegistryExport = { format: 'pulse-registry-export', formatVersion: 1, exportedAt: new Date().toISOString(), compatibility: (await ok('/config')).compatibilityLevel, subjects: [] }
  for (const subject of (await ok('/subjects?deleted=true')) as string[]) {
    const s = encodeURIComponent(subject)
    const live = new Set<number>((await call('GET', `/subjects/${s}/versions`)).body ?? [])
    const versions = []
    for (const n of (await ok(`/subjects/${s}/versions?deleted=true`)) as number[]) {
      const v = await ok(`/subjects/${s}/versions/${n}?deleted=true`)
      versions.push({ version: n, id: v.id, schema: v.schema, ...(v.references?.length ? { references: v.references } : {}), ...(live.has(n) ? {} : { deleted: true }) })
    }
    const config = await call('GET', `/config/${s}`)
    const mode = await call('GET', `/mode/${s}`)
    exp.subjects.push({
      subject,
      ...(config.status === 200 && config.body.compatibilityLevel ? { compatibility: config.body.compatibilityLevel } : {}),
      ...(config.status === 200 && config.body.unknownProperties ? { unknownProperties: config.body.unknownProperties } : {}),
      ...(mode.status === 200 ? { mode: mode.body.mode } : {}),
      versions,
    })
  }
  return exp
}

/** Loads an export through the REST API in IMPORT mode, so every schema keeps its id and version. */
export async function importRegistry(registry: string | RegistryTarget, exp: RegistryExport, opts: { force?: boolean; log?: (m: string) => void } = {}): Promise<number> {
  const call = registryRest(registry)
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body)
    if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${r.body?.message ?? JSON.stringify(r.body)}`)
    return r.body
  }
  await must('PUT', `/mode${opts.force ? '?force=true' : ''}`, { mode: 'IMPORT' })
  let imported = 0
  try {
    for (const { subject, version } of importOrder(exp)) {
      await must('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema: version.schema,
        id: version.id,
        version: version.version,
        ...(version.references?.length ? { references: version.references } : {}),
      })
      imported++
    }
    for (const s of exp.subjects) {
      const subject = encodeURIComponent(s.subject)
      for (const v of s.versions.filter((x) => x.deleted)) await must('DELETE', `/subjects/${subject}/versions/${v.version}`)
      if (s.compatibility || s.unknownProperties) await must('PUT', `/config/${subject}`, { ...(s.compatibility ? { compatibility: s.compatibility } : {}), ...(s.unknownProperties ? { unknownProperties: s.unknownProperties } : {}) })
    }
    await must('PUT', '/config', { compatibility: exp.compatibility })
  } finally {
    await must('PUT', '/mode', { mode: 'READWRITE' })
  }
  // Subject modes last: a READONLY subject would refuse its own import.
  for (const s of exp.subjects) if (s.mode && s.mode !== 'IMPORT') await must('PUT', `/mode/${encodeURIComponent(s.subject)}`, { mode: s.mode })
  opts.log?.(`imported ${imported} schema versions in ${exp.subjects.length} subjects`)
  return imported
}

export async function registryCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: { registry: { type: 'string' }, key: { type: 'string' }, 'user-info': { type: 'string' }, out: { type: 'string' }, file: { type: 'string' }, force: { type: 'boolean', default: false } },
  })
  switch (command) {
    case 'export': {
      const json = JSON.stringify(await exportRegistry(registryTarget(values, 'any')), null, 2)
      if (values.out) fs.writeFileSync(values.out, json + '\n')
      else console.log(json)
      return 0
    }
    case 'import': {
      if (!values.file) throw new Error('import needs --file FILE')
      await importRegistry(registryTarget(values, 'admin'), parseRegistryExport(fs.readFileSync(values.file, 'utf8')), { force: values.force, log: console.log })
      return 0
    }
    default:
      console.error(REGISTRY_USAGE)
      return 2
  }
}
