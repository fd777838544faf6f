/**
 * Reads the scorecard once at start-up: a YAML file (`PULSE_SCORING_CONFIG`, else `./pulse.scoring.yaml`,
 * else the `pulse` preset), optionally based on a shipped preset, with weights overridden from the
 * environment (`PULSE_SCORING_WEIGHT_USAGE=35`, `PULSE_SCORING_WEIGHT_PRODUCT_ADOPTION=40`). Every problem
 * names its file and line or its variable; Pulse refuses to start on any.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LineCounter, parseDocument, isNode, type Document } from 'yaml'
import { componentPaths, validateScorecard, type Path, type Scorecard } from './scorecard.js'

export const PRESETS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'presets')
export const DEFAULT_SCORECARD_FILE = 'pulse.scoring.yaml'
export const DEFAULT_PRESET = 'pulse'
const WEIGHT_VAR = 'PULSE_SCORING_WEIGHT_'

export interface LoadedScorecard {
  card: Scorecard
  /** Hash of the resolved scorecard (weights from the environment included), stored beside every score. */
  version: string
  /** Where it came from: `preset pulse`, `pulse.scoring.yaml (preset points-5)`… */
  source: string
}

export class ScorecardError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid scorecard:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ScorecardError'
  }
}

export function presetNames(): string[] {
  return fs.readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort()
}

/**
 * `config` is a file path or a preset name. Without one, `./pulse.scoring.yaml` when it exists, else the
 * default preset.
 */
export function loadScorecard(opts: { config?: string; cwd?: string; env?: Record<string, string | undefined> } = {}): LoadedScorecard {
  return resolveScorecard(readYaml(scorecardFile(opts.config, opts.cwd)), opts.env ?? {})
}

/** The file `config` (a path or a preset name) stands for; without one, `./pulse.scoring.yaml` or the default preset. */
export function scorecardFile(config: string | undefined, cwd = process.cwd()): string {
  if (config && presetNames().includes(config)) return presetFile(config)
  if (config) {
    const file = path.resolve(cwd, config)
    if (!fs.existsSync(file)) throw new ScorecardError([`PULSE_SCORING_CONFIG names "${config}", which is neither a file nor a preset (${presetNames().join(', ')})`])
    return file
  }
  const local = path.join(cwd, DEFAULT_SCORECARD_FILE)
  return fs.existsSync(local) ? local : presetFile(DEFAULT_PRESET)
}

/** How problems name a scorecard file: `preset pulse`, or its path from the working directory. */
export function sourceLabel(file: string): string {
  return file.startsWith(PRESETS_DIR) ? `preset ${path.basename(file, '.yaml')}` : path.relative(process.cwd(), file) || file
}

/** Pure apart from reading a base preset: turns a parsed file into a scorecard with its version. */
export function resolveScorecard(main: YamlSource, env: Record<string, string | undefined> = {}): LoadedScorecard {
  const raw = main.value
  let merged: unknown = raw
  // Where each top-level key came from, so a problem points at the right file's line.
  const sourceOf = new Map<string, YamlSource>()
  let source = main.label
  if (isObject(raw) && raw.preset !== undefined) {
    const name = raw.preset
    if (typeof name !== 'string' || !presetNames().includes(name)) {
      throw new ScorecardError([`${main.where(['preset'])}: unknown preset ${JSON.stringify(name)}; presets are ${presetNames().join(', ')}`])
    }
    const base = readYaml(presetFile(name))
    const { preset: _preset, ...own } = raw
    merged = { ...(base.value as object), ...own }
    for (const k of Object.keys(base.value as object)) sourceOf.set(k, base)
    source = `${main.label} (preset ${name})`
  }
  if (isObject(raw)) for (const k of Object.keys(raw)) sourceOf.set(k, main)
  const where = (p: Path) => (sourceOf.get(String(p[0])) ?? main).where(p)

  const first = validateScorecard(merged)
  if (first.problems.length) throw new ScorecardError(first.problems.map((p) => `${where(p.path)}: ${p.message}`))

  const { value: overridden, problems: envProblems, applied } = applyEnvWeights(merged as Record<string, unknown>, first.card!, env)
  if (envProblems.length) throw new ScorecardError(envProblems)
  let card = first.card!
  if (applied.length) {
    const second = validateScorecard(overridden)
    const vars = applied.join(', ')
    if (second.problems.length) throw new ScorecardError(second.problems.map((p) => `${p.message} (with ${vars} from the environment; ${where(p.path)})`))
    card = second.card!
    source += ` with ${vars}`
  }
  return { card, version: scorecardVersion(card), source }
}

/** The hash of what decides scores; equal scorecards written differently share it. */
export function scorecardVersion(card: Scorecard): string {
  const { name: _n, description: _d, ...decisive } = card
  return crypto.createHash('sha256').update(canonicalJson(decisive)).digest('hex').slice(0, 12)
}

function applyEnvWeights(raw: Record<string, unknown>, card: Scorecard, env: Record<string, string | undefined>) {
  const problems: string[] = []
  const applied: string[] = []
  const byVar = new Map(componentPaths(card.components).map((p) => [WEIGHT_VAR + p.toUpperCase().replace(/\./g, '_'), p]))
  const value = structuredClone(raw) as { components: Record<string, unknown>[] }
  for (const [name, rawWeight] of Object.entries(env)) {
    if (!name.startsWith(WEIGHT_VAR) || rawWeight === undefined || rawWeight === '') continue
    const target = byVar.get(name)
    if (!target) {
      problems.push(`${name} names no component of the scorecard; the variables are ${[...byVar.keys()].join(', ')}`)
      continue
    }
    const weight = Number(rawWeight)
    if (!Number.isFinite(weight) || weight < 0) {
      problems.push(`${name} must be a weight ≥ 0 (e.g. 0.3 or 30), got "${rawWeight}"`)
      continue
    }
    const [head, leaf] = target.split('.')
    const component = value.components.find((c) => c.name === head)!
    const node = leaf ? (component.components as Record<string, unknown>[]).find((c) => c.name === leaf)! : component
    node.weight = weight
    applied.push(`${name}=${rawWeight}`)
  }
  return { value, problems, applied }
}

export interface YamlSource {
  value: unknown
  label: string
  /** `file:line` of the node at a path, or of the nearest enclosing node that has a position. */
  where(path: Path): string
}

export function readYaml(file: string, text = fs.readFileSync(file, 'utf8')): YamlSource {
  const label = sourceLabel(file)
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length) {
    throw new ScorecardError(doc.errors.map((e) => `${label}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`))
  }
  return {
    value: doc.toJS(),
    label,
    where: (p) => `${label}:${lineOf(doc, lineCounter, p)}`,
  }
}

function lineOf(doc: Document, lines: LineCounter, p: Path): number {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return 1
}

function presetFile(name: string): string {
  return path.join(PRESETS_DIR, `${name}.yaml`)
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (isObject(v)) return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`
  return JSON.stringify(v)
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
