import type { Redis } from 'ioredis'
import type { AccountState } from './account-state.js'
import { evaluateDriftRule, type DriftInput, type DriftRuleState } from './drift-rules.js'
import type { Episode } from './episode.js'
import { runRule } from './evaluate-rule.js'
import type { AlertScoreContext, PlannedAction, PlannedAlert } from './planned-actions.js'
import type { Rules } from './rules.js'

/**
 * Compare-and-set of one evaluation: its episodes and the state it saw are written, and its actions appended
 * to the actions stream, only if no other evaluation committed since this one read (`v`). Firing and
 * "something to do" are one step, so a crash never splits them and two workers never both fire. A script
 * rather than WATCH/MULTI: WATCH holds per connection, and the pipeline's connections are shared.
 */
const COMMIT = `
local v = redis.call('HGET', KEYS[1], 'v') or ''
if v ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[3 + 2 * i], ARGV[4 + 2 * i]) end
redis.call('HINCRBY', KEYS[1], 'v', 1)
for i = 3 + 2 * n, #ARGV do redis.call('XADD', KEYS[2], '*', 'action', ARGV[i]) end
return 1`

const MAX_ATTEMPTS = 20

type CommitRedis = Redis & { playbooksCommit(key: string, stream: string, ...args: (string | number)[]): Promise<number> }

/** One account to evaluate: its state given the one its last evaluation saw (null: nothing to evaluate). */
export interface AccountEvaluation {
  accountId: string
  state: (previous: AccountState | undefined) => AccountState | null
  /**
   * For an account never evaluated: when Pulse first knew it (its first score). An account known before a
   * rule was deployed is primed for that rule rather than fired: see `evaluate`. Default: the state's time.
   */
  knownSince?: number
  /** Attached to the account's alerts (the score's move and drivers, for Slack and webhook receivers); asked for only when an alert fires. */
  context?: () => AlertScoreContext
}

/** What one evaluation did for one account. */
export interface AccountOutcome {
  accountId: string
  actions: PlannedAction[]
  /** Rules whose episode was started without acting (the account matched before the rule was deployed). */
  primed: string[]
}

/**
 * Where account rules keep their episodes between evaluations, and where their actions wait for dispatch: one
 * Redis hash per account (`rule:<id>` → Episode, `state` → the AccountState last evaluated, `first` → when
 * Pulse first evaluated it, `v` → a counter), a hash of drift rule states, the deployment time of every rule
 * id, and one stream of actions. See the design note in index.ts.
 */
export class EpisodeStore {
  private readonly redis: CommitRedis

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once, and works inside pipelines: a pass of 2,000
    // accounts commits in one round trip.
    if (!('playbooksCommit' in redis)) redis.defineCommand('playbooksCommit', { numberOfKeys: 2, lua: COMMIT })
    this.redis = redis as CommitRedis
  }

  get actionsStream(): string {
    return `${this.prefix}:playbooks:actions`
  }

  private accountKey(accountId: string): string {
    return `${this.prefix}:playbooks:account:${accountId}`
  }

  private get deployedKey(): string {
    return `${this.prefix}:playbooks:deployed`
  }

  private get driftKey(): string {
    return `${this.prefix}:playbooks:drift`
  }

  /**
   * Records when each rule id was first deployed (kept across restarts and rules-file edits, by id) and returns
   * every deployment time. Every process calls it at start; the first to see a rule sets its time.
   */
  async deploy(ruleIds: string[], now: number): Promise<Map<string, number>> {
    if (ruleIds.length) {
      const pipeline = this.redis.pipeline()
      for (const id of ruleIds) pipeline.hsetnx(this.deployedKey, id, String(now))
      await pipeline.exec()
    }
    const stored = await this.redis.hgetall(this.deployedKey)
    return new Map(Object.entries(stored).map(([id, at]) => [id, Number(at)]))
  }

  /** Evaluates one account's current state (see `evaluateMany`); returns the actions queued. */
  async evaluate(rules: Rules, current: AccountState, deployed: Map<string, number> = new Map()): Promise<PlannedAction[]> {
    const [outcome] = await this.evaluateMany(rules, [{ accountId: current.accountId, state: () => current }], deployed)
    return outcome.actions
  }

  /**
   * Evaluates every rule for each account's current state against what its last evaluation saw, stores the
   * outcome and queues the actions — once, whichever worker gets there first. All accounts are read in one
   * pipeline and committed in another; an account another worker changed in between is redone on its own.
   *
   * A state older than the one already evaluated is dropped: a late worker must not replay an account's past
   * as a change. Rollout: for a rule with no episode yet, an account Pulse knew before the rule was deployed
   * (`deployed`) is primed — its episode stored, its actions dropped — so a new rule, or Pulse's first start
   * with rules, does not fire at once for every account that already matches; a new account is evaluated
   * normally (the onboarding playbook must fire for it).
   */
  async evaluateMany(rules: Rules, accounts: AccountEvaluation[], deployed: Map<string, number> = new Map()): Promise<AccountOutcome[]> {
    const outcomes = new Map<string, AccountOutcome>()
    let pending = accounts
    for (let attempt = 0; pending.length && attempt < MAX_ATTEMPTS; attempt++) {
      const read = this.redis.pipeline()
      for (const a of pending) read.hgetall(this.accountKey(a.accountId))
      const stored = ((await read.exec()) ?? []).map(([err, value]) => {
        if (err) throw err
        return value as Record<string, string>
      })
      const commit = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { playbooksCommit(...args: (string | number)[]): unknown }
      const planned: { account: AccountEvaluation; outcome: AccountOutcome }[] = []
      pending.forEach((account, i) => {
        const plan = this.plan(rules, account, stored[i], deployed)
        if (!plan) return void outcomes.set(account.accountId, { accountId: account.accountId, actions: [], primed: [] })
        commit.playbooksCommit(this.accountKey(account.accountId), this.actionsStream, stored[i].v ?? '', plan.fields.length / 2, ...plan.fields, ...plan.outcome.actions.map((a) => JSON.stringify(a)))
        planned.push({ account, outcome: plan.outcome })
      })
      const results = planned.length ? ((await commit.exec()) ?? []) : []
      pending = []
      results.forEach(([err, committed], i) => {
        if (err) throw err
        if (committed === 1) outcomes.set(planned[i].account.accountId, planned[i].outcome)
        else pending.push(planned[i].account)
      })
    }
    if (pending.length) {
      throw new Error(`playbooks: ${pending.length} account(s) (${pending.slice(0, 3).map((a) => a.accountId).join(', ')}…) changed under ${MAX_ATTEMPTS} evaluations in a row; left for the next pass`)
    }
    return accounts.map((a) => outcomes.get(a.accountId)!)
  }

  private plan(rules: Rules, account: AccountEvaluation, stored: Record<string, string>, deployed: Map<string, number>): { fields: string[]; outcome: AccountOutcome } | null {
    const previous = stored.state ? (JSON.parse(stored.state) as AccountState) : undefined
    const current = account.state(previous)
    if (!current || (previous && previous.now > current.now)) return null
    const knownSince = stored.first ? Number(stored.first) : (account.knownSince ?? current.now)
    const currentJson = JSON.stringify(current)
    // The state as the last evaluation stored it but for the time: when that is all that differs (a steady
    // sweep, for nearly every account), the stored state still stands for this one — conditions compare
    // values, and time lives in the episodes — so unless an episode changes there is nothing to write.
    // `now` is a top-level number and the first "now": key in the text (a string holding one would be escaped).
    const sameButTime = previous !== undefined && currentJson.replace(`"now":${current.now}`, `"now":${previous.now}`) === stored.state
    const fields: string[] = sameButTime ? [] : ['state', currentJson]
    if (!stored.first) fields.push('first', String(knownSince))
    const outcome: AccountOutcome = { accountId: account.accountId, actions: [], primed: [] }
    for (const rule of rules.rules) {
      const field = `rule:${rule.id}`
      const episode = stored[field] ? (JSON.parse(stored[field]) as Episode) : undefined
      const run = runRule(rule, { previous, current, episode, owners: rules })
      // Only what changed is written: in a steady sweep nearly every episode stays as it was (the same object).
      if (run.episode !== episode) {
        const json = JSON.stringify(run.episode)
        if (json !== stored[field]) fields.push(field, json)
      }
      const deployedAt = deployed.get(rule.id)
      if (!episode && deployedAt !== undefined && knownSince < deployedAt) {
        if (run.fires) outcome.primed.push(rule.id)
        continue
      }
      if (!run.actions.length) continue
      const context = run.actions.some((a) => a.type === 'alert') ? account.context?.() : undefined
      outcome.actions.push(...(context ? run.actions.map((a) => (a.type === 'alert' ? { ...a, context } : a)) : run.actions))
    }
    if (!fields.length && !outcome.actions.length) return null
    // An episode changed: the state is written with it, so the two always belong to the same evaluation.
    if (sameButTime) fields.unshift('state', currentJson)
    return { fields, outcome }
  }

  /** The episodes stored for an account, by rule id. */
  async episodes(accountId: string): Promise<Record<string, Episode>> {
    const stored = await this.redis.hgetall(this.accountKey(accountId))
    return Object.fromEntries(Object.entries(stored).filter(([f]) => f.startsWith('rule:')).map(([f, v]) => [f.slice(5), JSON.parse(v) as Episode]))
  }

  /** The state an account's last evaluation saw (undefined when it was never evaluated). */
  async lastState(accountId: string): Promise<AccountState | undefined> {
    const state = await this.redis.hget(this.accountKey(accountId), 'state')
    return state ? (JSON.parse(state) as AccountState) : undefined
  }

  /**
   * Evaluates every drift rule over a batch of drift records (none: a timer noticing that floods subsided),
   * compare-and-set like accounts, and queues the alerts. A drift rule without state yet starts from `seed`
   * (what `schema_drift` already holds), so its first deployment does not announce every old refusal as new.
   */
  async evaluateDrift(rules: Rules, records: DriftInput[], now: number, seed: () => Promise<DriftInput[]>): Promise<PlannedAlert[]> {
    if (!rules.driftRules.length) return []
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.redis.hgetall(this.driftKey)
      const unseeded = rules.driftRules.filter((r) => !stored[`rule:${r.id}`] && r.when.kind !== 'flood')
      const history = unseeded.length ? await seed() : []
      const fields: string[] = []
      const alerts: PlannedAlert[] = []
      for (const rule of rules.driftRules) {
        let state = stored[`rule:${rule.id}`] ? (JSON.parse(stored[`rule:${rule.id}`]) as DriftRuleState) : undefined
        if (!state && rule.when.kind !== 'flood') state = evaluateDriftRule(rule, undefined, history, now, rules).state
        const run = evaluateDriftRule(rule, state, records, now, rules)
        fields.push(`rule:${rule.id}`, JSON.stringify(run.state))
        alerts.push(...run.alerts)
      }
      const committed = await this.redis.playbooksCommit(this.driftKey, this.actionsStream, stored.v ?? '', fields.length / 2, ...fields, ...alerts.map((a) => JSON.stringify(a)))
      if (committed === 1) return alerts
    }
    throw new Error(`playbooks: drift rule state changed under ${MAX_ATTEMPTS} evaluations in a row; this batch is retried`)
  }
}
