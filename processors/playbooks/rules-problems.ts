/**
 * How rules validation reports: every problem with the path of its YAML node (turned into file:line by the
 * reader) and a message that starts with what it is about — `rule "score-below-60", when.score.below: …` —
 * so a list of them reads without the file open.
 */
import { parseDuration } from '../../runtime/duration.js'

export type Path = (string | number)[]

export interface RulesProblem {
  path: Path
  message: string
}

export class RulesError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid rules:\n  - ${problems.join('\n  - ')}`)
    this.name = 'RulesError'
  }
}

/** Reports problems about one thing (a rule, a playbook, the owners…) found at `base` in the file. */
export interface Reporter {
  /** `keys` is the path inside the thing; returns undefined so a parser can `return at(…)`. */
  at(keys: Path, message: string): undefined
  /** The same thing, its label fixed once its id is known. */
  named(label: string): Reporter
}

export function reporter(problems: RulesProblem[], base: Path, label: string): Reporter {
  return {
    at(keys, message) {
      const where = keyPath(keys)
      problems.push({ path: [...base, ...keys], message: `${label}${where ? `, ${where}` : ''}: ${message}` })
      return undefined
    },
    named: (l) => reporter(problems, base, l),
  }
}

/** `when.all[0].tier.in`: how a key path reads in a message. */
export function keyPath(keys: Path): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('')
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

export const show = (x: unknown) => (x === undefined ? 'nothing' : JSON.stringify(x))

/**
 * A duration as the rest of Pulse writes them (30d, 12h, 90m, 45s), with its unit: a bare number would read
 * as milliseconds, which in a rules file is always a mistake (`due: 7`). 0 needs no unit.
 */
export function durationMs(raw: unknown, r: Reporter, keys: Path, what = 'a duration such as 7d, 48h or 30m'): number | undefined {
  if (raw === 0) return 0
  const ms = typeof raw === 'string' && /[a-z]\s*$/.test(raw) ? parseDuration(raw) : undefined
  if (ms === undefined) return r.at(keys, `expected ${what}, got ${show(raw)}`)
  return ms
}

/** A share 0–1 written as 0.2 or 20%. */
export function share(raw: unknown, r: Reporter, keys: Path, opts: { max?: number } = {}): number | undefined {
  const max = opts.max ?? 1
  const expected = `a share such as 0.2 or 20%${max > 1 ? '' : ' (at most 100%)'}`
  if (typeof raw === 'number') {
    if (raw >= 0 && raw <= 1) return raw
    return r.at(keys, `expected ${expected}, got ${raw}${raw > 1 ? ` (did you mean ${raw}%?)` : ''}`)
  }
  const m = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(raw.trim()) : null
  if (!m || Number(m[1]) / 100 > max) return r.at(keys, `expected ${expected}, got ${show(raw)}`)
  return Number(m[1]) / 100
}

/** Only `allowed` keys; reports the first other one with the list. */
export function onlyKeys(raw: Record<string, unknown>, allowed: string[], r: Reporter, keys: Path, what: string): boolean {
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k))
  for (const k of extra) r.at([...keys, k], `unknown key "${k}"; ${what} takes ${allowed.join(', ')}`)
  return extra.length === 0
}

export function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))]
}
