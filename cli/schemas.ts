import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isCompatibilityLevel } from '../registry/compatibility.js'
import { renderCatalogDocs } from '../schemas/catalog-docs.js'
import { baselineFromGit, baselineFromRegistry, checkCatalog } from '../schemas/check.js'
import { formatReport, REPORT_FORMATS, type ReportFormat } from '../schemas/check-report.js'
import { generateTypes } from '../schemas/codegen.js'
import { pushCatalog, readCatalog } from '../schemas/index.js'
import { registryTarget } from './credentials.js'

export const SCHEMAS_USAGE = `usage: pulse schemas <command>

  check   [--registry URL | --base GIT_REF] [--level LEVEL] [--format text|markdown|github|json] [--dir schemas]
          verdict for every added or changed schema; exit 1 on any incompatibility
          (default baseline: --base HEAD; --level applies to --base, the registry knows its own levels)
  push    [--registry URL] [--dir schemas]      register what changed, idempotently
  docs    [--out docs/EVENTS.md] [--dir schemas] render the catalog as Markdown
  codegen --out DIR [--dir schemas]             TypeScript types and a typed track() for producers

  With --registry: --user-info NAME:SECRET (Confluent's basic.auth.user.info; or PULSE_REGISTRY_USER_INFO), else
  a Pulse key (--key, PULSE_API_KEY, PULSE_API_KEYS, or the running \`pulse dev\`'s; push needs the admin scope).
`

/** `pulse schemas …`; returns the process exit code. */
export async function schemasCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: {
      registry: { type: 'string' },
      key: { type: 'string' },
      'user-info': { type: 'string' },
      base: { type: 'string' },
      level: { type: 'string', default: 'BACKWARD' },
      format: { type: 'string', default: 'text' },
      dir: { type: 'string', default: 'schemas' },
      out: { type: 'string' },
    },
  })
  const dir = path.resolve(values.dir!)
  const catalog = readCatalog(dir)

  switch (command) {
    case 'check': {
      const format = values.format as ReportFormat
      if (!REPORT_FORMATS.includes(format)) throw new Error(`--format must be one of ${REPORT_FORMATS.join(', ')}`)
      const level = values.level!.toUpperCase()
      if (!isCompatibilityLevel(level)) throw new Error(`--level must be a compatibility level such as BACKWARD or FULL_TRANSITIVE, got ${values.level}`)
      if (values.registry && values.base) throw new Error('give either --registry or --base, not both')
      const report = values.registry
        ? checkCatalog(catalog, await baselineFromRegistry(registryTarget(values, 'any'), catalog.map((e) => e.subject)), values.registry, level)
        : checkCatalog(catalog, baselineFromGit(dir, values.base ?? 'HEAD', level), `git ${values.base ?? 'HEAD'}`, level)
      console.log(formatReport(report, format))
      return report.incompatible > 0 ? 1 : 0
    }
    case 'push': {
      const results = await pushCatalog(registryTarget(values, 'admin'), catalog)
      for (const r of results) {
        if (r.status === 'unchanged') console.log(`${r.subject}: unchanged (id ${r.id}, version ${r.version})`)
        else if (r.status === 'registered') console.log(`${r.subject}: registered (id ${r.id})`)
        else console.error(`${r.subject}: refused with ${r.message}`)
      }
      return results.some((r) => r.status === 'refused') ? 1 : 0
    }
    case 'docs': {
      const out = path.resolve(values.out ?? 'docs/EVENTS.md')
      fs.mkdirSync(path.dirname(out), { recursive: true })
      fs.writeFileSync(out, renderCatalogDocs(catalog))
      console.log(`wrote ${path.relative(process.cwd(), out)} (${catalog.length} events)`)
      return 0
    }
    case 'codegen': {
      if (!values.out) throw new Error('codegen needs --out DIR')
      const out = path.resolve(values.out, 'pulse-events.ts')
      fs.mkdirSync(path.dirname(out), { recursive: true })
      fs.writeFileSync(out, generateTypes(catalog))
      console.log(`wrote ${path.relative(process.cwd(), out)} (${catalog.length} events)`)
      return 0
    }
    default:
      console.error(SCHEMAS_USAGE)
      return 2
  }
}
