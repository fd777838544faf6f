import crypto from 'node:crypto'
import type { Redis } from 'ioredis'
import type { AccountState } from './account-state.js'
import { evaluateDriftRule, type DriftInput, type DriftRuleState } from './drift-rules.js'
import type { Episode } from './episode.js'
import { runRule } from './evaluate-rule.js'
import type { AlertScoreContext, PlannedAction, PlannedAlert } from './planned-actions.js'
import type { Condition, Rules } from './rules.js'

/**
 * Compare-and-set of the drift rules' hash: their states are written, and the alerts appended to the actions
 * stream, only if no other evaluation committed since this one read (`v`). Firing and "something to do" are
 * one step, so a crash never splits them and two workers never both fire. A script rather than WATCH/MULTI:
 * WATCH holds per connection, and the pipeline's connections are shared.
 */
const COMMIT = `
local v = redis.call('HGET', KEYS[1], 'v') or ''
if v ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[3 + 2 * i], ARGV[4 + 2 * i]) end
redis.call('HINCRBY', KEYS[1], 'v', 1)
for i = 3 + 2 * n, #ARGV do redis.call('XADD', KEYS[2], '*', 'action', ARGV[i]) end
return 1`

/**
 * The same for one account's record (a string): written, with its actions queued, only if the record is
 * still the one the evaluation read — compared by SHA-1, so the read need not be sent back.
 */
const COMMIT_ACCOUNT = `
local current = redis.call('GET', KEYS[1])
local read = current and redis.sha1hex(current) or ''
if read ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
for i = 3, #ARGV do redis.call('XADD', KEYS[2], '*', 'action', ARGV[i]) end
return 1`

/**
 * An account's record, one string per account so a pass of 2,000 accounts is read with one MGET (a hash
 * each cost ~20 µs of client time per account to read, more than evaluating its rules): when Pulse first
 * evaluated it, the time of the state the last evaluation saw, that state with its time left out (`now: 0`),
 * and the episodes by rule id, a line each. JSON never holds a raw newline. The state is kept without its
 * time so that "nothing but time moved" — a steady sweep, nearly every account — is one string comparison,
 * and the stored state need not even be parsed.
 */
interface AccountRecord {
  first: number
  now: number
  timelessStateJson: string
  episodes: Record<string, Episode>
}

function parseRecord(text: string | null): AccountRecord | null {
  if (text === null) return null
  const [first, now, timelessStateJson, episodes] = text.split('\n')
  return { first: Number(first), now: Number(now), timelessStateJson, episodes: JSON.parse(episodes) as Record<string, Episode> }
}

const recordText = (first: number, now: number, timelessStateJson: string, episodes: Record<string, Episode>) => `${first}\n${now}\n${timelessStateJson}\n${JSON.stringify(episodes)}`

const stateOf = (record: AccountRecord): AccountState => ({ ...(JSON.parse(record.timelessStateJson) as AccountState), now: record.now })

const sha1 = (text: string | null) => (text === null ? '' : crypto.createHash('sha1').update(text).digest('hex'))

const MAX_ATTEMPTS = 20

const CLOCK_READERS = new WeakMap<Condition, boolean>()

function clockIn(c: Condition): boolean {
  switch (c.kind) {
    case 'all':
      return c.conditions.some(readsClock)
    case 'signed-up':
    case 'milestone-missing':
    case 'feature-unused':
      return true
    case 'score':
    case 'churn':
    case 'tier-in':
    case 'tier-enters':
    case 'tier-changes':
    case 'renewal':
    case 'seats':
    case 'event':
    case 'milestone-reached':
    case 'segment':
      return false
    default: {
      // A new kind of condition must say here whether it reads the clock.
      const unknown: never = c
      return unknown
    }
  }
}

/** Whether a condition's verdict depends on the time itself, not only on the states it compares. */
export function readsClock(c: Condition): boolean {
  let known = CLOCK_READERS.get(c)
  if (known === undefined) {
    known = clockIn(c)
    CLOCK_READERS.set(c, known)
  }
  return known
}

type CommitRedis = Redis & { playbooksCommit(key: string, stream: string, ...args: (string | number)[]): Promise<number> }
type CommitPipeline = ReturnType<Redis['pipeline']> & { playbooksCommitAccount(key: string, stream: string, ...args: string[]): unknown }

/** Accounts per MGET and per commit pipeline. */
const BATCH = 2000

/** One account to evaluate: its state given the one its last evaluation saw (null: nothing to evaluate). */
export interface AccountEvaluation {
  accountId: string
  /** `previous()` reads the stored state (parsing it): call it only when the new state is built from it. */
  state: (previous: () => AccountState | undefined) => AccountState | null
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
 * Redis string per account (`AccountRecord`: when Pulse first evaluated it, the AccountState last evaluated,
 * the Episode of each rule id), a hash of drift rule states, the deployment time of every rule id, and one
 * stream of actions. See the design note in index.ts.
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
    if (!('playbooksCommitAccount' in redis)) redis.defineCommand('playbooksCommitAccount', { numberOfKeys: 2, lua: COMMIT_ACCOUNT })
    this.redis = redis as CommitRedis
  }

  get actionsStream(): string {
    return `${this.prefix}:playbooks:actions`
  }

  private accountKey(accountId: string): string {
    return `${this.prefix}:playbooks:acct:${accountId}`
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
    for (let i = 0; i < accounts.length; i += BATCH) await this.evaluateBatch(rules, accounts.slice(i, i + BATCH), deployed, outcomes)
    return accounts.map((a) => outcomes.get(a.accountId)!)
  }

  private async evaluateBatch(rules: Rules, accounts: AccountEvaluation[], deployed: Map<string, number>, outcomes: Map<string, AccountOutcome>): Promise<void> {
    let pending = accounts
    for (let attempt = 0; pending.length && attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.redis.mget(pending.map((a) => this.accountKey(a.accountId)))
      const commit = this.redis.pipeline() as CommitPipeline
      const planned: { account: AccountEvaluation; outcome: AccountOutcome }[] = []
      pending.forEach((account, i) => {
        const plan = this.plan(rules, account, parseRecord(stored[i]), deployed)
        if (!plan) return void outcomes.set(account.accountId, { accountId: account.accountId, actions: [], primed: [] })
        commit.playbooksCommitAccount(this.accountKey(account.accountId), this.actionsStream, sha1(stored[i]), plan.record, ...plan.outcome.actions.map((a) => JSON.stringify(a)))
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
  }

  private plan(rules: Rules, account: AccountEvaluation, stored: AccountRecord | null, deployed: Map<string, number>): { record: string; outcome: AccountOutcome } | null {
    let parsed: AccountState | undefined
    const storedState = () => (stored ? (parsed ??= stateOf(stored)) : undefined)
    const current = account.state(storedState)
    if (!current || (stored && stored.now > current.now)) return null
    const knownSince = stored ? stored.first : (account.knownSince ?? current.now)
    const timelessJson = JSON.stringify({ ...current, now: 0 })
    // Nothing but time moved since the last evaluation: the stored state still stands for this one (conditions
    // compare values; time lives in the episodes), so it is not parsed — it is the current one at its own time
    // — and unless an episode changes there is nothing to write.
    const sameButTime = stored !== null && timelessJson === stored.timelessStateJson
    const previous = sameButTime ? { ...current, now: stored.now } : storedState()
    // Parsed for this evaluation alone (a retry reads the record again): updated in place, not copied per account.
    const episodes = stored?.episodes ?? {}
    let changed = !sameButTime
    const outcome: AccountOutcome = { accountId: account.accountId, actions: [], primed: [] }
    for (const rule of rules.rules) {
      const episode = episodes[rule.id]
      // An armed rule whose condition reads no clock, on a state where only time moved: it did not hold on
      // this state before (else it would have fired), edges need a change to hold, so it cannot fire now —
      // the evaluation is known without running it.
      if (sameButTime && episode?.status === 'armed' && !readsClock(rule.when)) continue
      const run = runRule(rule, { previous, current, episode, owners: rules })
      // Only what changed is written: in a steady sweep nearly every episode stays as it was (the same object).
      if (run.episode !== episode && JSON.stringify(run.episode) !== JSON.stringify(episode)) {
        episodes[rule.id] = run.episode
        changed = true
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
    if (!changed && !outcome.actions.length) return null
    // Written whole: the state with the episodes it produced, so the two always belong to the same evaluation.
    return { record: recordText(knownSince, current.now, timelessJson, episodes), outcome }
  }

  /** The episodes stored for an account, by rule id. */
  async episodes(accountId: string): Promise<Record<string, Episode>> {
    return parseRecord(await this.redis.get(this.accountKey(accountId)))?.episodes ?? {}
  }

  /** The state an account's last evaluation saw (undefined when it was never evaluated). */
  async lastState(accountId: string): Promise<AccountState | undefined> {
    const record = parseRecord(await this.redis.get(this.accountKey(accountId)))
    return record ? stateOf(record) : undefined
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
