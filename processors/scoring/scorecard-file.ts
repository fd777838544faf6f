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
import { canonicalJson, configFileOn, configLabel, parseYamlSource, presetFileOn, presetNamesOn, type ConfigShelf, type YamlSource } from '../../runtime/config-file.js'
import { componentPaths, validateScorecard, type Path, type Scorecard } from './scorecard.js'

export const PRESETS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'presets')
export const DEFAULT_SCORECARD_FILE = 'pulse.scoring.yaml'
export const DEFAULT_PRESET = 'pulse'
const WEIGHT_VAR = 'PULSE_SCORING_WEIGHT_'

export type { YamlSource }

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

const SHELF: ConfigShelf = { presetsDir: PRESETS_DIR, presetSuffix: '.yaml', variable: 'PULSE_SCORING_CONFIG', localFile: DEFAULT_SCORECARD_FILE, defaultPreset: DEFAULT_PRESET }

export function presetNames(): string[] {
  return presetNamesOn(SHELF)
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
  return configFileOn(SHELF, config, cwd, (problem) => {
    throw new ScorecardError([problem])
  })
}

/** How problems name a scorecard file: `preset pulse`, or its path from the working directory. */
export function sourceLabel(file: string): string {
  return configLabel(SHELF, file)
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

export function readYaml(file: string, text = fs.readFileSync(file, 'utf8')): YamlSource {
  return parseYamlSource(sourceLabel(file), text, (problems) => {
    throw new ScorecardError(problems)
  })
}

function presetFile(name: string): string {
  return presetFileOn(SHELF, name)
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
