import crypto from 'node:crypto'
import type { Redis } from 'ioredis'
import type { AccountState } from './account-state.js'
import { evaluateDriftRule, type DriftInput, type DriftRuleState } from './drift-rules.js'
import type { Episode } from './episode.js'
import { runRule } from './evaluate-rule.js'
import type { AlertScoreContext, PlannedAction, PlannedAlert } from './planned-actions.js'
import { nextTurn, readsClock } from './condition-clock.js'
import { conditionInputs, sameFields } from './condition-inputs.js'
import { ruleQuietAfter } from './quiet-until.js'
import { sameStateButTime } from './state-equal.js'
import type { Rules } from './rules.js'

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
 * Reads accounts' records, except those that still begin with the write token the caller holds (answered 1):
 * a process that evaluated an account last sweep need not fetch and parse its record again unless another
 * wrote it since. Comparing the token (the record's first line, new with every write) reads a few bytes.
 */
const READ_ACCOUNTS = `
local out = {}
for i = 1, #KEYS do
  local token = ARGV[i]
  if token ~= '' and redis.call('GETRANGE', KEYS[i], 0, #token) == token .. '\\n' then
    out[i] = 1
  else
    out[i] = redis.call('GET', KEYS[i])
  end
end
return out`

/** Write tokens: unique per process (random) and per write (a counter). */
const TOKEN_PREFIX = `w${crypto.randomBytes(6).toString('hex')}.`
let writes = 0
const newToken = () => TOKEN_PREFIX + (writes++).toString(36)

/**
 * An account's record, one string per account so a pass of 2,000 accounts is read in one round trip (a hash
 * each cost ~20 µs of client time per account to read, more than evaluating its rules): a write token, when Pulse first
 * evaluated it, the time of the state the last evaluation saw, that state with its time left out (`now: 0`),
 * then a line per rule: its id, its episode's status and the episode (`id\tstatus\tjson`; JSON never holds
 * a raw newline or tab). The state is kept without its time so that "nothing but time moved" — a steady
 * sweep, nearly every account — is one string comparison, and the stored state need not even be parsed; an
 * episode is parsed only when its rule runs (an armed rule on such a state does not, see `plan`), and the
 * lines of episodes that did not change are written back as they were read.
 */
interface AccountRecord {
  /** Changes with every write ('' in records written before tokens). */
  token: string
  first: number
  now: number
  timelessStateJson: string
  /** Rule id → `status\tjson` of its episode. */
  episodeLines: Record<string, string>
}

function parseRecord(text: string | null): AccountRecord | null {
  if (text === null) return null
  const all = text.split('\n')
  const token = all[0].startsWith('w') ? all[0] : ''
  const lines = token ? all.slice(1) : all
  const episodeLines: Record<string, string> = {}
  // Records written before the line per rule held every episode in one JSON object.
  if (lines.length === 4 && lines[3].startsWith('{')) {
    for (const [id, episode] of Object.entries(JSON.parse(lines[3]) as Record<string, Episode>)) episodeLines[id] = episodeLine(episode)
  } else {
    for (let i = 3; i < lines.length; i++) {
      const tab = lines[i].indexOf('\t')
      episodeLines[lines[i].slice(0, tab)] = lines[i].slice(tab + 1)
    }
  }
  return { token, first: Number(lines[0]), now: Number(lines[1]), timelessStateJson: lines[2], episodeLines }
}

const episodeLine = (episode: Episode) => `${episode.status}\t${JSON.stringify(episode)}`
const ARMED = 'armed\t'
const jsonOf = (line: string) => line.slice(line.indexOf('\t') + 1)
const episodeOf = (line: string) => JSON.parse(jsonOf(line)) as Episode

function recordText({ token, first, now, timelessStateJson, episodeLines }: AccountRecord): string {
  let text = `${token}\n${first}\n${now}\n${timelessStateJson}`
  for (const id in episodeLines) text += `\n${id}\t${episodeLines[id]}`
  return text
}

/** The state as JSON with its time left out (`now: 0`): set aside for the call rather than copied, a sweep doing this for every account. */
function timelessJsonOf(state: AccountState): string {
  const now = state.now
  state.now = 0
  try {
    return JSON.stringify(state)
  } finally {
    state.now = now
  }
}

const stateOf = (record: AccountRecord): AccountState => ({ ...(JSON.parse(record.timelessStateJson) as AccountState), now: record.now })

const sha1 = (text: string | null) => (text === null ? '' : crypto.createHash('sha1').update(text).digest('hex'))

const MAX_ATTEMPTS = 20

type CommitRedis = Redis & {
  playbooksCommit(key: string, stream: string, ...args: (string | number)[]): Promise<number>
  playbooksReadAccounts(keys: number, ...args: string[]): Promise<(1 | string | null)[]>
}
type CommitPipeline = ReturnType<Redis['pipeline']> & { playbooksCommitAccount(key: string, stream: string, ...args: string[]): unknown }

/**
 * A record this process last read or wrote, with its SHA-1 and, once an evaluation has seen it, the state it
 * holds as an object (compared field by field with the next one instead of through JSON).
 */
interface Known {
  sha: string
  record: AccountRecord
  state?: AccountState
  /** Until when each rule can do nothing on this state (see `Quiet`). */
  quiet?: Quiet
}

/**
 * Per rule of `rules` (by index), the instant before which it can do nothing while the fields its condition
 * reads stay as they are in the state held (`ruleQuietAfter`; -Infinity: it must run next time), and the
 * earliest of them: while the whole state stays the same, the account is not evaluated at all before `until`;
 * when only fields some rules read have moved, the others are not run.
 */
interface Quiet {
  rules: Rules
  byRule: number[]
  until: number
}

// Shared by the outcomes of accounts where nothing happened (nearly all, in a steady sweep); frozen, so a
// caller adding to one fails loudly instead of adding to all.
const NO_ACTIONS: PlannedAction[] = Object.freeze([]) as unknown as PlannedAction[]
const NO_RULES: string[] = Object.freeze([]) as unknown as string[]

/** Accounts per read and per commit pipeline. */
const BATCH = 2000
/** Records kept in memory (see `known`); past this many the memory is dropped and records are read again. */
const MAX_KNOWN = 200_000

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
  /**
   * Accounts handed to `evaluateMany` since this store was made: those in their quiet time (not evaluated),
   * those whose rules ran, and those whose record was written. Sweeps report them (bench/playbooks.ts, logs).
   */
  readonly counts = { quiet: 0, evaluated: 0, written: 0, ruleRuns: 0 }
  /**
   * The record this process last read or wrote per account, parsed, with its SHA-1 (what a commit compares):
   * a steady sweep reads every account, and reading and parsing ~1.5 KB each cost more than the rules
   * (bench/playbooks.ts). Redis still answers for each account whether the record is this one (by its write
   * token), so another process's write is never missed. An entry is dropped when a commit fails, as the
   * evaluation may have changed it in place.
   */
  private readonly known = new Map<string, Known>()

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL once, and works inside pipelines: a pass of 2,000
    // accounts commits in one round trip.
    if (!('playbooksCommit' in redis)) redis.defineCommand('playbooksCommit', { numberOfKeys: 2, lua: COMMIT })
    if (!('playbooksCommitAccount' in redis)) redis.defineCommand('playbooksCommitAccount', { numberOfKeys: 2, lua: COMMIT_ACCOUNT })
    if (!('playbooksReadAccounts' in redis)) redis.defineCommand('playbooksReadAccounts', { lua: READ_ACCOUNTS })
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
    // A copy: the store keeps the state it evaluated to compare the next with, and a caller may change its own.
    const [outcome] = await this.evaluateMany(rules, [{ accountId: current.accountId, state: () => structuredClone(current) }], deployed)
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
    if (this.known.size > MAX_KNOWN) this.known.clear()
    for (let attempt = 0; pending.length && attempt < MAX_ATTEMPTS; attempt++) {
      const cached = pending.map((a) => this.known.get(a.accountId))
      const replies = await this.redis.playbooksReadAccounts(pending.length, ...pending.map((a) => this.accountKey(a.accountId)), ...cached.map((c) => c?.record.token ?? ''))
      const commit = this.redis.pipeline() as CommitPipeline
      const planned: { account: AccountEvaluation; outcome: AccountOutcome; next: AccountRecord; text: string; state: AccountState | undefined; quiet: Known['quiet'] }[] = []
      pending.forEach((account, i) => {
        const reply = replies[i]
        const record = reply === 1 ? cached[i]!.record : parseRecord(reply)
        const sha = reply === 1 ? cached[i]!.sha : sha1(reply)
        const known = reply === 1 ? cached[i] : undefined
        const plan = this.plan(rules, account, record, deployed, known)
        if (!plan.write) {
          // Nothing changed, so the record read is the one stored (plan changes a record only when it has a change to write).
          const state = plan.state ?? known?.state
          if (record && !(known && known.state === state && known.quiet === plan.quiet)) this.known.set(account.accountId, { sha, record, state, quiet: plan.quiet })
          return void outcomes.set(account.accountId, { accountId: account.accountId, actions: NO_ACTIONS, primed: NO_RULES })
        }
        const write = plan.write
        commit.playbooksCommitAccount(this.accountKey(account.accountId), this.actionsStream, sha, write.text, ...write.outcome.actions.map((a) => JSON.stringify(a)))
        planned.push({ account, outcome: write.outcome, next: write.next, text: write.text, state: plan.state, quiet: plan.quiet })
      })
      const results = planned.length ? ((await commit.exec()) ?? []) : []
      pending = []
      results.forEach(([err, committed], i) => {
        if (err) throw err
        const { account, outcome, next, text, state, quiet } = planned[i]
        if (committed === 1) {
          this.counts.written++
          outcomes.set(account.accountId, outcome)
          this.known.set(account.accountId, { sha: sha1(text), record: next, state, quiet })
        } else {
          this.known.delete(account.accountId)
          pending.push(account)
        }
      })
    }
    if (pending.length) {
      throw new Error(`playbooks: ${pending.length} account(s) (${pending.slice(0, 3).map((a) => a.accountId).join(', ')}…) changed under ${MAX_ATTEMPTS} evaluations in a row; left for the next pass`)
    }
  }

  /**
   * The evaluation of one account against its stored record: what to write (null: nothing changed), the
   * state evaluated (undefined: none), which `known` keeps to compare the next one with, and until when the
   * rules can do nothing while that state stays. `known` is what this process holds of the stored record (its
   * state as an earlier evaluation here saw it), when it still stands.
   */
  private plan(
    rules: Rules,
    account: AccountEvaluation,
    stored: AccountRecord | null,
    deployed: Map<string, number>,
    known: Known | undefined,
  ): { state: AccountState | undefined; quiet?: Known['quiet']; write: { text: string; next: AccountRecord; outcome: AccountOutcome } | null } {
    const seen = known?.state
    let parsed: AccountState | undefined
    const storedState = () => (stored ? (parsed ??= seen ? (seen.now === stored.now ? seen : { ...seen, now: stored.now }) : stateOf(stored)) : undefined)
    const current = account.state(storedState)
    if (!current || (stored && stored.now > current.now)) return { state: undefined, write: null }
    const knownSince = stored ? stored.first : (account.knownSince ?? current.now)
    // Nothing but time moved since the last evaluation: the stored state still stands for this one (conditions
    // compare values; time lives in the episodes), so it is not parsed — it is the current one at its own time
    // — and unless an episode changes there is nothing to write. Against a state this process holds the
    // comparison is field by field; against one only read from Redis, by its JSON (no parse).
    let timelessJson = seen ? undefined : timelessJsonOf(current)
    const sameButTime = stored !== null && (seen ? sameStateButTime(current, seen) : timelessJson === stored.timelessStateJson)
    // Nothing can happen yet (see `Quiet`): the rules are not run at all — most accounts of a steady sweep.
    const quiet = seen && known!.quiet?.rules === rules ? known!.quiet : undefined
    if (quiet && sameButTime && current.now < quiet.until) {
      this.counts.quiet++
      return { state: seen, quiet, write: null }
    }
    this.counts.evaluated++
    let previous: AccountState | undefined
    const previousState = () => (previous ??= sameButTime ? { ...current, now: stored.now } : storedState())
    // Updated in place, not copied per account (a failed commit drops the record from `known`, and a retry reads it again).
    const lines = stored?.episodeLines ?? {}
    let changed = !sameButTime
    const outcome: AccountOutcome = { accountId: account.accountId, actions: [], primed: [] }
    const byRule: number[] = new Array(rules.rules.length)
    for (let i = 0; i < rules.rules.length; i++) {
      const rule = rules.rules[i]
      const inputs = conditionInputs(rule.when).all
      // In its quiet time, and nothing it reads has moved since the state it was worked out on (the one held):
      // it can do nothing yet — a sweep after the key features or a renewal's day count moved runs only the
      // rules that read them.
      if (quiet && current.now < quiet.byRule[i] && (sameButTime || sameFields(inputs, current, seen!))) {
        byRule[i] = quiet.byRule[i]
        continue
      }
      const line = lines[rule.id] as string | undefined
      // An armed rule, nothing it reads moved since the last evaluation, whose condition reads no clock or
      // turns at no instant since: it did not hold on this state before (else it would have fired), edges need
      // a change to hold, so it cannot fire now — the evaluation is known without running it (or parsing its
      // episode).
      if (stored && line !== undefined && line.startsWith(ARMED) && (sameButTime || sameFields(inputs, current, previousState()!))) {
        const turn = readsClock(rule.when) ? nextTurn(rule.when, current, stored.now) : Infinity
        if (turn > current.now) {
          byRule[i] = turn
          continue
        }
      }
      const episode = line === undefined ? undefined : episodeOf(line)
      this.counts.ruleRuns++
      const run = runRule(rule, { previous: previousState(), current, episode, owners: rules })
      byRule[i] = ruleQuietAfter(rule, previousState(), current, run.episode)
      // Only what changed is written: in a steady sweep nearly every episode stays as it was (the same object).
      if (run.episode !== episode) {
        const json = JSON.stringify(run.episode)
        if (line === undefined || json !== jsonOf(line)) {
          lines[rule.id] = `${run.episode.status}\t${json}`
          changed = true
        }
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
    // Kept for the next comparison: the state evaluated, or the one already held when only time moved (its
    // time may then lag the record's; storedState sets it right).
    const state = sameButTime && seen ? seen : current
    const next = { rules, byRule, until: Math.min(...byRule) }
    if (!changed && !outcome.actions.length) return { state, quiet: next, write: null }
    // Written whole: the state with the episodes it produced, so the two always belong to the same evaluation.
    timelessJson ??= sameButTime ? stored!.timelessStateJson : timelessJsonOf(current)
    const record: AccountRecord = { token: newToken(), first: knownSince, now: current.now, timelessStateJson: timelessJson, episodeLines: lines }
    return { state, quiet: next, write: { text: recordText(record), next: record, outcome } }
  }

  /** The episodes stored for an account, by rule id. */
  async episodes(accountId: string): Promise<Record<string, Episode>> {
    const lines = parseRecord(await this.redis.get(this.accountKey(accountId)))?.episodeLines ?? {}
    return Object.fromEntries(Object.entries(lines).map(([id, line]) => [id, episodeOf(line)]))
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
