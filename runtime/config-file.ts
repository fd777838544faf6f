/**
 * What Pulse's YAML config files (the scorecard, the rules) share: a file named by an environment variable or
 * a shipped preset, else a file in the working directory, else the default preset; parsing that keeps line
 * numbers so every problem names `file:line`; and a canonical JSON form to hash into a version.
 */
import fs from 'node:fs'
import path from 'node:path'
import { isNode, LineCounter, parseDocument, type Document } from 'yaml'

/** Where a kind of config file lives: its presets (`<dir>/<name><suffix>`), its variable, its local file. */
export interface ConfigShelf {
  presetsDir: string
  presetSuffix: string
  variable: string
  localFile: string
  defaultPreset: string
}

export type YamlPath = (string | number)[]

/** A parsed config file: its value, its label (`preset pulse` or a path) and where each path is, as `label:line`. */
export interface YamlSource {
  value: unknown
  label: string
  where: (p: YamlPath) => string
}

export function presetNamesOn(shelf: ConfigShelf): string[] {
  return fs.readdirSync(shelf.presetsDir).filter((f) => f.endsWith(shelf.presetSuffix)).map((f) => f.slice(0, -shelf.presetSuffix.length)).sort()
}

export function presetFileOn(shelf: ConfigShelf, name: string): string {
  return path.join(shelf.presetsDir, `${name}${shelf.presetSuffix}`)
}

/** The file `config` (a path or a preset name) stands for; without one, the local file or the default preset. `fail` throws the kind's own error. */
export function configFileOn(shelf: ConfigShelf, config: string | undefined, cwd: string, fail: (problem: string) => never): string {
  const presets = presetNamesOn(shelf)
  if (config && presets.includes(config)) return presetFileOn(shelf, config)
  if (config) {
    const file = path.resolve(cwd, config)
    if (!fs.existsSync(file)) fail(`${shelf.variable} names "${config}", which is neither a file nor a preset (${presets.join(', ')})`)
    return file
  }
  const local = path.join(cwd, shelf.localFile)
  return fs.existsSync(local) ? local : presetFileOn(shelf, shelf.defaultPreset)
}

/** How problems name a file: `preset <name>`, or its path from the working directory. */
export function configLabel(shelf: ConfigShelf, file: string): string {
  return file.startsWith(shelf.presetsDir) ? `preset ${path.basename(file, shelf.presetSuffix)}` : path.relative(process.cwd(), file) || file
}

/** Parses YAML keeping line numbers; syntax errors go to `fail` as `label:line: message`. */
export function parseYamlSource(label: string, text: string, fail: (problems: string[]) => never): YamlSource {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length) fail(doc.errors.map((e) => `${label}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`))
  return { value: doc.toJS(), label, where: (p) => `${label}:${lineOf(doc, lines, p)}` }
}

/** The line of the deepest node of `p` that exists (a missing key points at its parent). */
function lineOf(doc: Document, lines: LineCounter, p: YamlPath): number {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return 1
}

/** JSON with keys sorted and undefined left out: equal configs hash alike whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}
