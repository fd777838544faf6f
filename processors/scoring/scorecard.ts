/**
 * A scorecard: which measures make up the health score, how each turns into points, how much each weighs
 * (per segment), and how the score bands into tiers. Pure types and validation; `scorecard-file.ts` reads
 * one from YAML.
 */
import { parseDuration } from '../../runtime/duration.js'
import { measureNamed } from './measures.js'

/** Threshold band over a number measure: `min` inclusive, `max` exclusive (open when absent). */
export interface Band {
  min: number
  max?: number
  points: number
  label: string
}

export type Rule =
  | { kind: 'bands'; bands: Band[] }
  | { kind: 'categories'; points: Record<string, number> }
  /** Linear between bounds: 0 points at `from`, full points at `to`, clamped; `from > to` means lower is better. */
  | { kind: 'linear'; from: number; to: number }

export interface LeafComponent {
  name: string
  weight: number
  measure: string
  rule: Rule
}

export interface GroupComponent {
  name: string
  weight: number
  components: LeafComponent[]
}

export type Component = LeafComponent | GroupComponent

/** A tier covers whole scores `min`..`max`, both inclusive. */
export interface Tier {
  name: string
  min: number
  max: number
}

export const SEGMENTS = ['ENTERPRISE', 'MID_MARKET', 'SMB', 'OTHER'] as const
export type Segment = (typeof SEGMENTS)[number]

export interface Scorecard {
  name: string
  description: string
  components: Component[]
  /** Per segment: component path (`support`, `product.adoption`) → weight, replacing the default weight. */
  segments: Partial<Record<Segment, Record<string, number>>>
  /** Best tier first. */
  tiers: Tier[]
  /** Below this share of weight backed by data the score is INSUFFICIENT_DATA. */
  minimumCoverage: number
  /** Half-life of the exponentially weighted moving average; 0 = no smoothing. */
  halfLifeMs: number
  /** A 7-day change within ±stableBand points reads as stable. */
  stableBand: number
  /** Core features by name, or the `auto` most widely used ones across the portfolio. */
  coreFeatures: string[] | { auto: number }
}

/** The most scored components (leaves) a scorecard may have: the scoring keeps which have data as bits of one number. */
export const MAX_LEAVES = 30

export function isGroup(c: Component): c is GroupComponent {
  return 'components' in c
}

/** Every leaf with its path (`usage`, `product.adoption`). */
export function leavesOf(components: Component[]): { path: string; leaf: LeafComponent }[] {
  return components.flatMap((c) => (isGroup(c) ? c.components.map((leaf) => ({ path: `${c.name}.${leaf.name}`, leaf })) : [{ path: c.name, leaf: c }]))
}

/** The most points a leaf's rule gives: its own scale, against which its points are a fraction. */
export function maxRulePoints(rule: Rule): number {
  if (rule.kind === 'bands') return Math.max(...rule.bands.map((b) => b.points))
  if (rule.kind === 'categories') return Math.max(...Object.values(rule.points))
  return 1
}

export type Path = (string | number)[]

/** A problem in a scorecard with where it is; `where` is turned into file:line by the reader. */
export interface ScorecardProblem {
  path: Path
  message: string
}

const WEIGHT_TOTALS = [1, 100]

/**
 * Pure: checks a scorecard object (as parsed from YAML) and returns it typed, or every problem found with
 * its path. Weights must sum to 1 or 100 at each level and in each segment; bands must neither overlap nor
 * leave gaps; tiers must cover 0–100 exactly.
 */
export function validateScorecard(raw: unknown): { card?: Scorecard; problems: ScorecardProblem[] } {
  const problems: ScorecardProblem[] = []
  const fail = (path: Path, message: string) => {
    problems.push({ path, message })
    return undefined
  }
  if (!isObject(raw)) return { problems: [{ path: [], message: 'a scorecard must be a mapping with components, tiers…' }] }
  const known = ['name', 'description', 'preset', 'components', 'segments', 'tiers', 'coverage', 'smoothing', 'trend', 'coreFeatures']
  for (const k of Object.keys(raw)) if (!known.includes(k)) fail([k], `unknown key "${k}"; a scorecard has ${known.join(', ')}`)

  const components: Component[] = []
  if (!Array.isArray(raw.components) || raw.components.length === 0) fail(['components'], 'components must be a non-empty list')
  else {
    raw.components.forEach((c, i) => {
      const parsed = parseComponent(c, ['components', i], fail, true)
      if (parsed) components.push(parsed)
    })
    duplicates(components.map((c) => c.name)).forEach((n) => fail(['components'], `component "${n}" is declared twice`))
    const leaves = leavesOf(components).length
    if (leaves > MAX_LEAVES) fail(['components'], `the scorecard has ${leaves} scored components (leaves of groups included); at most ${MAX_LEAVES} are supported`)
    // Weights are only worth adding up once every component could be read.
    if (components.length === raw.components.length && !problems.length) checkWeights(components, ['components'], 'the components', fail, { groups: () => true })
  }

  const tiers = parseTiers(raw.tiers, fail)
  const segments = parseSegments(raw.segments, components, fail)
  const coverage = optionalObject(raw.coverage, ['coverage'], ['minimum'], fail)
  const minimumCoverage = coverage?.minimum === undefined ? 0.5 : Number(coverage.minimum)
  if (!(minimumCoverage >= 0 && minimumCoverage <= 1)) fail(['coverage', 'minimum'], `coverage.minimum must be a share between 0 and 1, got ${JSON.stringify(coverage?.minimum)}`)
  const smoothing = optionalObject(raw.smoothing, ['smoothing'], ['halfLife'], fail)
  const halfLife = smoothing?.halfLife
  const halfLifeMs = halfLife === undefined ? 86_400_000 : typeof halfLife === 'string' || typeof halfLife === 'number' ? parseDuration(String(halfLife)) : undefined
  if (halfLifeMs === undefined) fail(['smoothing', 'halfLife'], `smoothing.halfLife must be a duration such as 1d, 12h or 0 (off), got ${JSON.stringify(smoothing?.halfLife)}`)
  const trend = optionalObject(raw.trend, ['trend'], ['stableBand'], fail)
  const stableBand = trend?.stableBand === undefined ? 5 : Number(trend.stableBand)
  if (!(stableBand >= 0 && stableBand <= 100)) fail(['trend', 'stableBand'], `trend.stableBand must be a number of points 0-100, got ${JSON.stringify(trend?.stableBand)}`)
  const coreFeatures = parseCoreFeatures(raw.coreFeatures, fail)

  if (raw.name !== undefined && typeof raw.name !== 'string') fail(['name'], 'name must be a string')
  if (raw.description !== undefined && typeof raw.description !== 'string') fail(['description'], 'description must be a string')
  if (problems.length) return { problems }
  return {
    problems,
    card: {
      name: (raw.name as string | undefined) ?? 'custom',
      description: (raw.description as string | undefined) ?? '',
      components,
      segments,
      tiers: tiers!,
      minimumCoverage,
      halfLifeMs: halfLifeMs!,
      stableBand,
      coreFeatures: coreFeatures!,
    },
  }
}

type Fail = (path: Path, message: string) => undefined

function parseComponent(raw: unknown, path: Path, fail: Fail, groupAllowed: boolean): Component | undefined {
  if (!isObject(raw)) return fail(path, 'a component must be a mapping with name, weight and measure (or components)')
  const name = raw.name
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) return fail([...path, 'name'], `component name must be lower snake case, got ${JSON.stringify(name)}`)
  const weight = raw.weight
  if (typeof weight !== 'number' || !(weight >= 0)) return fail([...path, 'weight'], `component "${name}": weight must be a number ≥ 0, got ${JSON.stringify(weight)}`)
  if ('components' in raw) {
    if (!groupAllowed) return fail([...path, 'components'], `component "${name}": groups cannot be nested`)
    const extra = Object.keys(raw).filter((k) => !['name', 'weight', 'components', 'description'].includes(k))
    if (extra.length) return fail([...path, extra[0]], `group "${name}" takes name, weight and components, not ${extra.join(', ')}`)
    if (!Array.isArray(raw.components) || !raw.components.length) return fail([...path, 'components'], `group "${name}": components must be a non-empty list`)
    const children: LeafComponent[] = []
    raw.components.forEach((c, i) => {
      const leaf = parseComponent(c, [...path, 'components', i], fail, false)
      if (leaf) children.push(leaf as LeafComponent)
    })
    duplicates(children.map((c) => c.name)).forEach((n) => fail([...path, 'components'], `group "${name}" declares "${n}" twice`))
    return { name, weight, components: children }
  }
  const extra = Object.keys(raw).filter((k) => !['name', 'weight', 'measure', 'bands', 'points', 'linear', 'description'].includes(k))
  if (extra.length) return fail([...path, extra[0]], `component "${name}": unknown key "${extra[0]}" (a component has name, weight, measure and one of bands, points, linear)`)
  const measure = measureNamed(String(raw.measure))
  if (typeof raw.measure !== 'string' || !measure) return fail([...path, 'measure'], `component "${name}": unknown measure ${JSON.stringify(raw.measure)}; see docs/SCORING.md for the measures`)
  const rules = (['bands', 'points', 'linear'] as const).filter((k) => k in raw)
  if (rules.length !== 1) return fail(path, `component "${name}" needs exactly one rule: bands, points (for a category measure) or linear; it has ${rules.length ? rules.join(' and ') : 'none'}`)
  const rule = parseRule(rules[0], raw[rules[0]], measure, [...path, rules[0]], name, fail)
  return rule && { name, weight, measure: measure.name, rule }
}

function parseRule(kind: 'bands' | 'points' | 'linear', raw: unknown, measure: NonNullable<ReturnType<typeof measureNamed>>, path: Path, name: string, fail: Fail): Rule | undefined {
  const what = `component "${name}" (${measure.name})`
  if (kind === 'points') {
    if (measure.kind !== 'category') return fail(path, `${what}: points by category need a category measure; ${measure.name} is a number — use bands or linear`)
    if (!isObject(raw)) return fail(path, `${what}: points must map each category to its points`)
    const points: Record<string, number> = {}
    for (const [k, v] of Object.entries(raw)) {
      if (!measure.categories!.includes(k)) fail([...path, k], `${what}: "${k}" is not a category of ${measure.name} (${measure.categories!.join(', ')})`)
      else if (typeof v !== 'number' || v < 0) fail([...path, k], `${what}: points for ${k} must be a number ≥ 0`)
      else points[k] = v
    }
    const missing = measure.categories!.filter((c) => !(c in raw))
    if (missing.length) return fail(path, `${what}: no points for ${missing.join(', ')}`)
    return { kind: 'categories', points }
  }
  if (measure.kind === 'category') return fail(path, `${what}: ${measure.name} is a category measure (${measure.categories!.join(', ')}); give points per category`)
  if (kind === 'linear') {
    if (!isObject(raw) || typeof raw.from !== 'number' || typeof raw.to !== 'number' || raw.from === raw.to) {
      return fail(path, `${what}: linear needs two different numbers, from (0 points) and to (full points)`)
    }
    return { kind: 'linear', from: raw.from, to: raw.to }
  }
  if (!Array.isArray(raw) || !raw.length) return fail(path, `${what}: bands must be a non-empty list of {min, max, points, label}`)
  const bands: (Band & { at: number })[] = []
  raw.forEach((b, i) => {
    if (!isObject(b) || typeof b.min !== 'number' || typeof b.points !== 'number' || b.points < 0 || (b.max !== undefined && typeof b.max !== 'number')) {
      fail([...path, i], `${what}: a band needs min (a number), points (≥ 0), and optionally max and label`)
      return
    }
    if (b.max !== undefined && (b.max as number) <= b.min) {
      fail([...path, i], `${what}: band min ${b.min} must be below its max ${b.max}`)
      return
    }
    bands.push({ min: b.min, max: b.max as number | undefined, points: b.points, label: typeof b.label === 'string' ? b.label : `${b.min}+`, at: i })
  })
  if (bands.length !== raw.length) return undefined
  bands.sort((a, b) => a.min - b.min)
  const lowest = measure.min ?? -Infinity
  if (bands[0].min > lowest) fail([...path, bands[0].at], `${what}: values from ${lowest} up to ${bands[0].min} fall in no band (the lowest band must start at ${lowest})`)
  for (let i = 0; i < bands.length; i++) {
    const b = bands[i]
    const next = bands[i + 1]
    if (!next) break
    const end = b.max ?? next.min
    if (end > next.min) fail([...path, next.at], `${what}: bands overlap — [${b.min}, ${end}) "${b.label}" and [${next.min}, …) "${next.label}" both hold ${next.min}`)
    else if (end < next.min) fail([...path, b.at], `${what}: gap between bands — values from ${end} up to ${next.min} fall in no band`)
    if (next.min === b.min) fail([...path, next.at], `${what}: two bands start at ${b.min}`)
  }
  const last = bands.at(-1)!
  if (last.max !== undefined) fail([...path, last.at], `${what}: values from ${last.max} up fall in no band (leave out max on the highest band)`)
  return { kind: 'bands', bands: bands.map(({ at: _at, ...b }) => (b.max === undefined ? { min: b.min, points: b.points, label: b.label } : b)) }
}

function parseTiers(raw: unknown, fail: Fail): Tier[] | undefined {
  if (!Array.isArray(raw) || raw.length < 2) return fail(['tiers'], 'tiers must be a list of at least two {name, min, max}, covering scores 0 to 100')
  const tiers: (Tier & { at: number })[] = []
  raw.forEach((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string' || !t.name || !Number.isInteger(t.min) || !Number.isInteger(t.max) || (t.min as number) > (t.max as number)) {
      fail(['tiers', i], 'a tier needs a name and whole-number min ≤ max (both inclusive), e.g. {name: Healthy, min: 80, max: 100}')
      return
    }
    tiers.push({ name: t.name, min: t.min as number, max: t.max as number, at: i })
  })
  if (tiers.length !== raw.length) return undefined
  duplicates(tiers.map((t) => t.name)).forEach((n) => fail(['tiers'], `tier "${n}" is declared twice`))
  tiers.sort((a, b) => b.min - a.min)
  if (tiers[0].max !== 100) fail(['tiers', tiers[0].at], `scores above ${tiers[0].max} up to 100 fall in no tier`)
  if (tiers.at(-1)!.min !== 0) fail(['tiers', tiers.at(-1)!.at], `scores from 0 up to ${tiers.at(-1)!.min - 1} fall in no tier`)
  for (let i = 1; i < tiers.length; i++) {
    const [above, below] = [tiers[i - 1], tiers[i]]
    if (below.max >= above.min) fail(['tiers', below.at], `tiers "${below.name}" (${below.min}–${below.max}) and "${above.name}" (${above.min}–${above.max}) overlap`)
    else if (below.max + 1 < above.min) fail(['tiers', below.at], `gap between tiers: scores ${below.max + 1}–${above.min - 1} fall between "${below.name}" and "${above.name}"`)
  }
  return tiers.map(({ at: _at, ...t }) => t)
}

function parseSegments(raw: unknown, components: Component[], fail: Fail): Scorecard['segments'] {
  if (raw === undefined) return {}
  if (!isObject(raw)) return fail(['segments'], 'segments must map a segment (ENTERPRISE, MID_MARKET, SMB, OTHER) to component weights') ?? {}
  const segments: Scorecard['segments'] = {}
  for (const [segment, weights] of Object.entries(raw)) {
    if (!(SEGMENTS as readonly string[]).includes(segment)) {
      fail(['segments', segment], `unknown segment "${segment}"; segments are ${SEGMENTS.join(', ')} (account_updated.segment)`)
      continue
    }
    if (!isObject(weights)) {
      fail(['segments', segment], `segment ${segment} must map component names to weights`)
      continue
    }
    const overrides: Record<string, number> = {}
    for (const [p, w] of Object.entries(weights)) {
      if (!componentAt(components, p)) fail(['segments', segment, p], `segment ${segment}: no component "${p}" (components: ${componentPaths(components).join(', ')})`)
      else if (typeof w !== 'number' || w < 0) fail(['segments', segment, p], `segment ${segment}: weight of ${p} must be a number ≥ 0`)
      else overrides[p] = w
    }
    // A group's own weights are checked where it is declared; here only where this segment changes them.
    const touched = new Set(Object.keys(overrides).filter((p) => p.includes('.')).map((p) => p.split('.')[0]))
    checkWeights(applyWeights(components, overrides), ['segments', segment], `the components in segment ${segment}`, fail, { groups: (g) => touched.has(g.name), segment })
    segments[segment as Segment] = overrides
  }
  return segments
}

function parseCoreFeatures(raw: unknown, fail: Fail): Scorecard['coreFeatures'] | undefined {
  if (raw === undefined) return { auto: 5 }
  if (Array.isArray(raw) && raw.length && raw.every((f) => typeof f === 'string' && f)) return raw as string[]
  if (isObject(raw) && Object.keys(raw).length === 1 && Number.isInteger(raw.auto) && (raw.auto as number) >= 1) return { auto: raw.auto as number }
  return fail(['coreFeatures'], 'coreFeatures must be a list of feature ids (as feature_used.feature sends them) or {auto: N} for the N features most accounts use')
}

/** Pure: the components with a segment's weights in place of the defaults. */
export function applyWeights(components: Component[], overrides: Record<string, number>): Component[] {
  return components.map((c) => {
    const weight = overrides[c.name] ?? c.weight
    if (!isGroup(c)) return { ...c, weight }
    return { ...c, weight, components: c.components.map((l) => ({ ...l, weight: overrides[`${c.name}.${l.name}`] ?? l.weight })) }
  })
}

export function componentAt(components: Component[], path: string): Component | undefined {
  const [head, leaf] = path.split('.')
  const c = components.find((x) => x.name === head)
  if (!c || leaf === undefined) return c
  return isGroup(c) ? c.components.find((l) => l.name === leaf) : undefined
}

export function componentPaths(components: Component[]): string[] {
  return components.flatMap((c) => [c.name, ...(isGroup(c) ? c.components.map((l) => `${c.name}.${l.name}`) : [])])
}

/**
 * The weights at one level sum to 1 or 100, and so do those of each group `opts.groups` picks, reported at the
 * group's declaration (or, in a segment, at the segment).
 */
function checkWeights(components: Component[], path: Path, scope: string, fail: Fail, opts: { groups: (g: GroupComponent) => boolean; segment?: string }): void {
  const list = components.map((c) => `${c.name} ${round(c.weight)}`).join(', ')
  const sum = components.reduce((s, c) => s + c.weight, 0)
  if (!WEIGHT_TOTALS.some((t) => Math.abs(sum - t) < 1e-6)) fail(path, `the weights of ${scope} sum to ${round(sum)} (${list}); they must sum to 1 or 100`)
  components.forEach((c, i) => {
    if (!isGroup(c) || !opts.groups(c)) return
    const where = opts.segment ? path : [...path, i, 'components']
    checkWeights(c.components, where, `the components of group "${c.name}"${opts.segment ? ` in segment ${opts.segment}` : ''}`, fail, { groups: () => false })
  })
}

const round = (x: number) => Math.round(x * 1e6) / 1e6

function optionalObject(raw: unknown, path: Path, keys: string[], fail: Fail): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined
  if (!isObject(raw)) return fail(path, `${path.join('.')} must be a mapping with ${keys.join(', ')}`)
  for (const k of Object.keys(raw)) if (!keys.includes(k)) fail([...path, k], `${path.join('.')} has no "${k}" (it takes ${keys.join(', ')})`)
  return raw
}

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))]
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}
