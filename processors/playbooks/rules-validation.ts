/**
 * Pure: a rules file as parsed from YAML (presets already merged in) → Rules, or every problem found, each
 * with its path and what was expected. Owners and endpoints are read first so that every reference to them
 * can be checked; tiers come from the scorecard passed in.
 */
import { checkTaskIds, parseAlert, parseTask, type ActionContext } from './action-validation.js'
import { parseCondition, type ConditionContext } from './condition-validation.js'
import type { AccountRule, Action, DriftCondition, DriftRule, Endpoint, Rules } from './rules.js'
import { duplicates, durationMs, isObject, onlyKeys, reporter, show, type Path, type Reporter, type RulesProblem } from './rules-problems.js'

export interface RulesContext extends ConditionContext {
  /** The event catalog's subjects, for drift rules' `subjects`; unchecked when absent. */
  subjects?: string[]
}

export const TOP_LEVEL_KEYS = ['name', 'description', 'owners', 'csmFallback', 'endpoints', 'rules', 'playbooks', 'driftRules'] as const
const ID = /^[a-z0-9][a-z0-9_-]*$/
const OWNER = /^[a-z][a-z0-9_]*$/
const ENV = /^[A-Z_][A-Z0-9_]*$/
const SECTIONS = { rules: 'rule', playbooks: 'playbook', driftRules: 'drift rule' } as const

export function validateRules(raw: unknown, ctx: RulesContext): { rules?: Rules; problems: RulesProblem[] } {
  const problems: RulesProblem[] = []
  const top = reporter(problems, [], 'rules file')
  if (!isObject(raw)) return { problems: [{ path: [], message: 'a rules file must be a mapping with rules, playbooks, owners…' }] }
  for (const k of Object.keys(raw)) if (!(TOP_LEVEL_KEYS as readonly string[]).includes(k)) top.at([k], `unknown key; a rules file has ${TOP_LEVEL_KEYS.join(', ')}`)
  for (const k of ['name', 'description']) if (raw[k] !== undefined && typeof raw[k] !== 'string') top.at([k], 'expected a string')

  const owners = parseOwners(raw.owners, reporter(problems, ['owners'], 'owners'))
  const endpoints = parseEndpoints(raw.endpoints, reporter(problems, ['endpoints'], 'endpoints'))
  // References are checked against the names declared, even where a declaration itself is faulty, so one
  // mistake is reported once and not again at every rule that uses the name.
  const refs: ActionContext = {
    owners: isObject(raw.owners) ? Object.keys(raw.owners).filter((n) => n !== 'csm' && OWNER.test(n)) : [],
    endpoints: isObject(raw.endpoints) ? Object.keys(raw.endpoints) : [],
  }
  let csmFallback: string | null = null
  if (raw.csmFallback !== undefined) {
    if (typeof raw.csmFallback === 'string' && refs.owners.includes(raw.csmFallback)) csmFallback = raw.csmFallback
    else top.at(['csmFallback'], `expected an owner named under owners (${refs.owners.join(', ') || 'the file declares none'}), got ${show(raw.csmFallback)}`)
  }

  const rules: AccountRule[] = []
  const driftRules: DriftRule[] = []
  const ids: { id: string; path: [string, number, 'id']; label: string }[] = []
  for (const section of ['rules', 'playbooks', 'driftRules'] as const) {
    const list = raw[section]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) {
      top.at([section], `expected a list of ${SECTIONS[section]}s`)
      continue
    }
    list.forEach((item, i) => {
      const r = reporter(problems, [section, i], `${SECTIONS[section]} ${i + 1}`)
      const id = isObject(item) && typeof item.id === 'string' && ID.test(item.id) ? item.id : undefined
      if (!isObject(item)) return r.at([], `expected a mapping with id, when and ${section === 'playbooks' ? 'steps' : section === 'driftRules' ? 'alert' : 'actions'}, got ${show(item)}`)
      if (!id) return r.at(['id'], `expected an id of lower-case letters, digits, - and _, got ${show(item.id)}`)
      const named = r.named(`${SECTIONS[section]} "${id}"`)
      ids.push({ id, path: [section, i, 'id'], label: `${SECTIONS[section]} "${id}"` })
      if (section === 'driftRules') {
        const d = parseDriftRule(item, id, named, refs, ctx)
        if (d) driftRules.push(d)
      } else {
        const a = parseAccountRule(item, id, section === 'rules' ? 'rule' : 'playbook', named, refs, ctx)
        if (a) rules.push(a)
      }
    })
  }
  for (const id of duplicates(ids.map((x) => x.id))) {
    const [first, ...again] = ids.filter((x) => x.id === id)
    // Episodes are kept per rule id, so two rules with one id would share (and spoil) each other's.
    for (const x of again) problems.push({ path: x.path, message: `${x.label}: id already used by ${first.path[0]}[${first.path[1]}]; ids are unique across rules, playbooks and drift rules` })
  }
  if (problems.length) return { problems }
  return { problems, rules: { owners: owners!, csmFallback, endpoints: endpoints!, rules, driftRules } }
}

function parseAccountRule(item: Record<string, unknown>, id: string, type: 'rule' | 'playbook', r: Reporter, refs: ActionContext, ctx: ConditionContext): AccountRule | undefined {
  const keys = type === 'rule' ? ['id', 'name', 'description', 'when', 'rearm', 'actions'] : ['id', 'name', 'description', 'when', 'rearm', 'alert', 'steps']
  const known = onlyKeys(item, keys, r, [], `a ${type}`)
  const name = item.name === undefined ? (type === 'rule' ? id : r.at([], 'a playbook needs a name')) : typeof item.name === 'string' && item.name.trim() ? item.name.trim() : r.at(['name'], `expected a non-empty string, got ${show(item.name)}`)
  const when = item.when === undefined ? r.at([], `a ${type} needs when: the condition that triggers it`) : parseCondition(item.when, r, ['when'], ctx)
  const rearmAfterMs = parseRearm(item.rearm, r)
  const actions: (Action | undefined)[] = []
  const tasks: { id: string; at: Path }[] = []
  if (type === 'rule') {
    if (!Array.isArray(item.actions) || !item.actions.length) r.at(item.actions === undefined ? [] : ['actions'], 'a rule needs actions: a list of { alert: … } and { task: … }')
    else {
      item.actions.forEach((a, i) => {
        const at = ['actions', i]
        if (!isObject(a) || Object.keys(a).length !== 1 || !['alert', 'task'].includes(Object.keys(a)[0])) {
          actions.push(r.at(at, `expected { alert: … } or { task: … }, got ${show(a)}`))
          return
        }
        if ('alert' in a) return actions.push(parseAlert(a.alert, r, [...at, 'alert'], refs, { defaultTitle: String(name ?? id), csmAllowed: true }))
        const t = parseTask(a.task, r, [...at, 'task'], refs, i)
        if (t) tasks.push({ id: t.id, at: [...at, 'task'] })
        actions.push(t)
      })
    }
  } else {
    if (item.alert !== undefined) actions.push(parseAlert(item.alert, r, ['alert'], refs, { defaultTitle: String(name ?? id), csmAllowed: true }))
    if (!Array.isArray(item.steps) || !item.steps.length) r.at(item.steps === undefined ? [] : ['steps'], 'a playbook needs steps: a list of tasks { title, due, … }')
    else {
      item.steps.forEach((s, i) => {
        const t = parseTask(s, r, ['steps', i], refs, i)
        if (t) tasks.push({ id: t.id, at: ['steps', i] })
        actions.push(t)
      })
    }
  }
  checkTaskIds(tasks, r)
  if (!known || name === undefined || !when || rearmAfterMs === undefined || !actions.length || actions.some((a) => !a)) return undefined
  return { id, type, name, when, rearmAfterMs, actions: actions as Action[] }
}

function parseDriftRule(item: Record<string, unknown>, id: string, r: Reporter, refs: ActionContext, ctx: RulesContext): DriftRule | undefined {
  const known = onlyKeys(item, ['id', 'name', 'description', 'when', 'subjects', 'rearm', 'alert'], r, [], 'a drift rule')
  const name = item.name === undefined ? id : typeof item.name === 'string' && item.name.trim() ? item.name.trim() : r.at(['name'], `expected a non-empty string, got ${show(item.name)}`)
  const when = parseDriftCondition(item.when, r)
  let subjects: string[] | null | undefined = null
  if (item.subjects !== undefined) {
    const list = Array.isArray(item.subjects) ? item.subjects : [item.subjects]
    subjects = list as string[]
    list.forEach((s, i) => {
      if (typeof s === 'string' && s && (!ctx.subjects || ctx.subjects.includes(s))) return
      subjects = undefined
      r.at(['subjects', ...(Array.isArray(item.subjects) ? [i] : [])], `${show(s)} is no event of the catalog${ctx.subjects ? ` (${ctx.subjects.join(', ')})` : ''}`)
    })
  }
  const rearmAfterMs = parseRearm(item.rearm, r)
  const alert = item.alert === undefined ? r.at([], 'a drift rule needs alert: { severity, to: owner, … }') : parseAlert(item.alert, r, ['alert'], refs, { defaultTitle: String(name ?? id), csmAllowed: false })
  if (!known || name === undefined || !when || subjects === undefined || rearmAfterMs === undefined || !alert) return undefined
  return { id, name, when, subjects, rearmAfterMs, alert }
}

function parseDriftCondition(raw: unknown, r: Reporter): DriftCondition | undefined {
  const expected = 'expected exactly one of newKind: {}, newSource: {} or flood: { over: N, within: 10m, per?: subject | source }'
  if (raw === undefined) return r.at([], 'a drift rule needs when: newKind, newSource or flood')
  if (!isObject(raw) || Object.keys(raw).length !== 1) return r.at(['when'], `${expected}, got ${show(raw)}`)
  const [kind, value] = Object.entries(raw)[0]
  const at = ['when', kind]
  if (kind === 'newKind' || kind === 'newSource') {
    if (value !== null && !(isObject(value) && !Object.keys(value).length)) return r.at(at, `takes no settings; write ${kind}: {}`)
    return { kind: kind === 'newKind' ? 'new-kind' : 'new-source' }
  }
  if (kind !== 'flood') return r.at(['when'], `unknown drift condition "${kind}"; ${expected}`)
  if (!isObject(value) || !onlyKeys(value, ['over', 'within', 'per'], r, at, 'flood')) return isObject(value) ? undefined : r.at(at, `expected { over: N, within: 10m }, got ${show(value)}`)
  const over = Number.isInteger(value.over) && (value.over as number) >= 0 ? (value.over as number) : r.at([...at, 'over'], `expected a whole number of refused events ≥ 0, got ${show(value.over)}`)
  const withinMs = value.within === undefined ? r.at(at, 'missing within: the window refusals are counted in, e.g. 10m') : durationMs(value.within, r, [...at, 'within'])
  const per = value.per === undefined ? 'subject' : value.per === 'subject' || value.per === 'source' ? value.per : r.at([...at, 'per'], `expected subject or source, got ${show(value.per)}`)
  if (over === undefined || !withinMs || !per) return withinMs === 0 ? r.at([...at, 'within'], 'expected a window above 0') : undefined
  return { kind: 'flood', over, withinMs, per }
}

function parseRearm(raw: unknown, r: Reporter): number | undefined {
  if (raw === undefined) return 0
  if (!isObject(raw) || !onlyKeys(raw, ['after'], r, ['rearm'], 'rearm')) return isObject(raw) ? undefined : r.at(['rearm'], `expected { after: duration }, got ${show(raw)}`)
  return durationMs(raw.after, r, ['rearm', 'after'])
}

function parseOwners(raw: unknown, r: Reporter): Record<string, string> | undefined {
  if (raw === undefined) return {}
  if (!isObject(raw)) return r.at([], `expected a mapping of owner name → the id tasks are assigned to, got ${show(raw)}`)
  const owners: Record<string, string> = {}
  let ok = true
  for (const [name, id] of Object.entries(raw)) {
    if (name === 'csm') ok = r.at([name], '"csm" is reserved for the account\'s own CSM') ?? false
    else if (!OWNER.test(name)) ok = r.at([name], 'an owner name is lower snake case, e.g. cs_director') ?? false
    else if (typeof id !== 'string' || !id.trim()) ok = r.at([name], `expected the id of a user or team, got ${show(id)}`) ?? false
    else owners[name] = id.trim()
  }
  return ok ? owners : undefined
}

function parseEndpoints(raw: unknown, r: Reporter): Record<string, Endpoint> | undefined {
  if (raw === undefined) return {}
  if (!isObject(raw)) return r.at([], `expected a mapping of endpoint name → { type, url or urlEnv, secretEnv }, got ${show(raw)}`)
  const endpoints: Record<string, Endpoint> = {}
  let ok = true
  for (const [name, e] of Object.entries(raw)) {
    const fail = (keys: Path, m: string) => {
      ok = false
      return r.at([name, ...keys], m)
    }
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) fail([], 'an endpoint name is lower case letters, digits, - and _')
    if (!isObject(e)) {
      fail([], `expected { type: webhook | slack, url or urlEnv, secretEnv }, got ${show(e)}`)
      continue
    }
    if (!onlyKeys(e, ['type', 'url', 'urlEnv', 'secretEnv'], r, [name], 'an endpoint')) ok = false
    if (e.type !== 'webhook' && e.type !== 'slack') fail(['type'], `expected webhook or slack, got ${show(e.type)}`)
    const urls = ['url', 'urlEnv'].filter((k) => k in e)
    let url: Endpoint['url'] | undefined
    if (urls.length !== 1) fail([], `expected exactly one of url and urlEnv (a Slack webhook URL is a secret: name the variable holding it), got ${urls.length ? 'both' : 'neither'}`)
    else if ('url' in e) url = typeof e.url === 'string' && /^https?:\/\/\S+$/.test(e.url) ? { value: e.url } : fail(['url'], `expected an http(s) URL, got ${show(e.url)}`)
    else url = typeof e.urlEnv === 'string' && ENV.test(e.urlEnv) ? { env: e.urlEnv } : fail(['urlEnv'], `expected an environment variable name such as PULSE_SLACK_URL, got ${show(e.urlEnv)}`)
    let secretEnv: string | null = null
    if (e.secretEnv !== undefined) secretEnv = typeof e.secretEnv === 'string' && ENV.test(e.secretEnv) ? e.secretEnv : (fail(['secretEnv'], `expected an environment variable name such as PULSE_WEBHOOK_SECRET, got ${show(e.secretEnv)}`) ?? null)
    // Receivers tell Pulse's alerts from forgeries by the signature, so a webhook without a secret is refused.
    else if (e.type === 'webhook') fail([], 'a webhook needs secretEnv: the variable holding the secret its requests are signed with')
    if (url) endpoints[name] = { type: e.type as Endpoint['type'], url, secretEnv }
  }
  return ok ? endpoints : undefined
}
