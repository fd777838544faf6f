/**
 * Reads the rules file once at start-up, beside the scorecard: `PULSE_RULES_CONFIG` (a file or a preset
 * name), else `./pulse.rules.yaml`, else the `default` preset. A file may start from a preset with
 * `preset: default`: owners and endpoints are merged by name, rules, playbooks and drift rules by id (a rule
 * with a preset's id replaces it, others are added), and `disable: [ids]` drops preset rules. Every problem
 * names its file and line and what was expected; Pulse refuses to start on any.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalJson, configFileOn, configLabel, parseYamlSource, presetFileOn, presetNamesOn, type ConfigShelf, type YamlSource } from '../../runtime/config-file.js'
import type { Scorecard } from '../scoring/scorecard.js'
import type { Rules } from './rules.js'
import { isObject, RulesError, show, type Path } from './rules-problems.js'
import { validateRules } from './rules-validation.js'

export const RULES_PRESETS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'presets')
export const DEFAULT_RULES_FILE = 'pulse.rules.yaml'
export const DEFAULT_RULES_PRESET = 'default'
const PRESET_SUFFIX = '.rules.yaml'
const BY_ID = ['rules', 'playbooks', 'driftRules'] as const
const BY_NAME = ['owners', 'endpoints'] as const

export interface LoadedRules {
  rules: Rules
  /** Hash of what decides firing and actions; the edges store it beside episodes to notice a changed file. */
  version: string
  /** Where it came from: `preset default`, `pulse.rules.yaml (preset default)`. */
  source: string
}

const SHELF: ConfigShelf = { presetsDir: RULES_PRESETS_DIR, presetSuffix: PRESET_SUFFIX, variable: 'PULSE_RULES_CONFIG', localFile: DEFAULT_RULES_FILE, defaultPreset: DEFAULT_RULES_PRESET }

export function rulesPresetNames(): string[] {
  return presetNamesOn(SHELF)
}

/** `scorecard` is the one in force: tier names are checked against its tiers. */
export function loadRules(opts: { scorecard: Pick<Scorecard, 'tiers'>; config?: string; cwd?: string; subjects?: string[] }): LoadedRules {
  return resolveRules(readRulesYaml(rulesFile(opts.config, opts.cwd)), { tiers: opts.scorecard.tiers, subjects: opts.subjects })
}

/** The file `config` (a path or a preset name) stands for; without one, `./pulse.rules.yaml` or the default preset. */
export function rulesFile(config: string | undefined, cwd = process.cwd()): string {
  return configFileOn(SHELF, config, cwd, (problem) => {
    throw new RulesError([problem])
  })
}

/** Pure apart from reading a base preset: a parsed file → validated rules with their version. */
export function resolveRules(main: RulesYaml, ctx: Parameters<typeof validateRules>[1]): LoadedRules {
  const { value, where, source } = withPreset(main)
  const { rules, problems } = validateRules(value, ctx)
  if (problems.length) throw new RulesError(problems.map((p) => `${where(p.path)}: ${p.message}`))
  return { rules: rules!, version: rulesVersion(rules!), source }
}

export function rulesVersion(rules: Rules): string {
  return crypto.createHash('sha256').update(canonicalJson(rules)).digest('hex').slice(0, 12)
}

/** The file merged onto its preset, and where each merged node came from (for file:line in problems). */
function withPreset(main: RulesYaml): { value: unknown; where: (p: Path) => string; source: string } {
  const raw = main.value
  if (!isObject(raw) || (raw.preset === undefined && raw.disable === undefined)) return { value: raw, where: main.where, source: main.label }
  if (raw.preset === undefined) throw new RulesError([`${main.where(['disable'])}: disable drops rules of a preset; this file names no preset`])
  const name = raw.preset
  if (typeof name !== 'string' || !rulesPresetNames().includes(name)) {
    throw new RulesError([`${main.where(['preset'])}: unknown preset ${show(name)}; presets are ${rulesPresetNames().join(', ')}`])
  }
  const base = readRulesYaml(presetFile(name))
  const baseValue = isObject(base.value) ? base.value : {}
  const { preset: _p, disable, ...own } = raw
  const merged: Record<string, unknown> = { ...baseValue, ...own }
  const keyOrigin = new Map<string, RulesYaml>([...Object.keys(baseValue).map((k) => [k, base] as const), ...Object.keys(own).map((k) => [k, main] as const)])
  const itemOrigin = new Map<string, { src: RulesYaml; index: number }[]>()
  const nameOrigin = new Map<string, Map<string, RulesYaml>>()

  for (const key of BY_NAME) {
    if (!isObject(baseValue[key]) || !isObject(own[key])) continue
    merged[key] = { ...baseValue[key], ...own[key] }
    nameOrigin.set(key, new Map([...Object.keys(baseValue[key]).map((n) => [n, base] as const), ...Object.keys(own[key]).map((n) => [n, main] as const)]))
  }
  for (const key of BY_ID) {
    const mine = own[key]
    if (!Array.isArray(baseValue[key]) || (mine !== undefined && !Array.isArray(mine))) continue
    const items = (baseValue[key] as unknown[]).map((item, index) => ({ item, origin: { src: base, index } }))
    ;((mine ?? []) as unknown[]).forEach((item, index) => {
      const id = isObject(item) ? item.id : undefined
      const at = id === undefined ? -1 : items.findIndex((x) => isObject(x.item) && x.item.id === id)
      if (at >= 0) items[at] = { item, origin: { src: main, index } }
      else items.push({ item, origin: { src: main, index } })
    })
    merged[key] = items.map((x) => x.item)
    itemOrigin.set(key, items.map((x) => x.origin))
  }
  if (disable !== undefined) {
    const ids = Array.isArray(disable) ? disable : [disable]
    const problems: string[] = []
    ids.forEach((id, i) => {
      const section = BY_ID.find((k) => Array.isArray(merged[k]) && (merged[k] as unknown[]).some((x) => isObject(x) && x.id === id))
      if (!section) return problems.push(`${main.where(['disable', ...(Array.isArray(disable) ? [i] : [])])}: disable names ${show(id)}, which is no rule, playbook or drift rule of preset ${name}`)
      const at = (merged[section] as unknown[]).findIndex((x) => isObject(x) && x.id === id)
      merged[section] = (merged[section] as unknown[]).filter((_, j) => j !== at)
      itemOrigin.get(section)?.splice(at, 1)
    })
    if (problems.length) throw new RulesError(problems)
  }

  const where = (p: Path): string => {
    const [key, second, ...rest] = p
    const items = itemOrigin.get(String(key))
    if (items && typeof second === 'number' && items[second]) return items[second].src.where([key, items[second].index, ...rest])
    const names = nameOrigin.get(String(key))
    if (names && second !== undefined && names.has(String(second))) return names.get(String(second))!.where(p)
    return (keyOrigin.get(String(key)) ?? main).where(p)
  }
  return { value: merged, where, source: `${main.label} (preset ${name})` }
}

export type RulesYaml = YamlSource

export function readRulesYaml(file: string, text = fs.readFileSync(file, 'utf8')): RulesYaml {
  return parseYamlSource(configLabel(SHELF, file), text, (problems) => {
    throw new RulesError(problems)
  })
}

function presetFile(name: string): string {
  return presetFileOn(SHELF, name)
}

