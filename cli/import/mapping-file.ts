/**
 * Reads a CSV mapping file (YAML, or JSON, which YAML reads too) once at start and checks it, naming each
 * problem by its file, line and key, e.g. `mapping.yaml:7: properties.amountCents: …`.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { isNode, LineCounter, parseDocument, type Document } from 'yaml'
import { validateMapping, type CsvMapping, type Path } from './csv-mapping.js'

/** The mapping cannot be used; nothing was sent. Each problem names where it is. */
export class MappingError extends Error {
  constructor(readonly problems: string[]) {
    super(`the CSV mapping cannot be used (nothing was sent):\n  - ${problems.join('\n  - ')}`)
    this.name = 'MappingError'
  }
}

export interface MappingFile {
  mapping: CsvMapping
  /** `mapping.yaml:7` for a key of the file (the nearest enclosing key that has a line). */
  where(path: Path): string
}

export function readMappingFile(file: string, text?: string): MappingFile {
  const label = path.relative(process.cwd(), file) || file
  if (text === undefined) {
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (err) {
      throw new MappingError([`${label}: cannot read the mapping: ${(err as Error).message}`])
    }
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length) throw new MappingError(doc.errors.map((e) => `${label}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`))
  const where = (p: Path) => `${label}:${lineOf(doc, lineCounter, p)}`
  const { mapping, problems } = validateMapping(doc.toJS())
  if (!mapping) throw new MappingError(problems.map((p) => `${where(p.path)}: ${p.path.length ? `${p.path.join('.')}: ` : ''}${p.message}`))
  return { mapping, where }
}

/**
 * What a checkpoint records of the mapping, so an import is not continued with another one (rows before and
 * after the checkpoint would read differently). Equal mappings written differently share it.
 */
export function mappingFingerprint(mapping: CsvMapping, strict: boolean): string {
  return `csv:${crypto.createHash('sha256').update(canonicalJson({ mapping, strict })).digest('hex').slice(0, 16)}`
}

function lineOf(doc: Document, lines: LineCounter, p: Path): number {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return 1
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}
