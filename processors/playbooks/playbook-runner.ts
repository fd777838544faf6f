/**
 * The evaluation edge: where the pipeline tells the playbooks that an account's state (or the drift stream)
 * changed. Each entry point builds the states rules see from what Pulse already stores and hands them to the
 * EpisodeStore, which fires once per episode and queues the actions for the dispatcher.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { modelInForce, readPredictions, type PredictionRecord } from '../churn/index.js'
import { queryRows } from '../clickhouse-rows.js'
import { chTime } from '../clickhouse-time.js'
import type { HealthScoreRecord } from '../scoring/account-score.js'
import { accountsChangedSince, clickhouseNow, factsWantedBy, readFeatureLastUse, readPlaybookFacts, type PlaybookFacts } from './account-facts.js'
import type { DriftInput } from './drift-rules.js'
import { EpisodeStore, type AccountEvaluation, type AccountOutcome } from './episode-store.js'
import type { PlannedAction } from './planned-actions.js'
import { ScoredAccount } from './scored-account.js'
import type { TaskRecord } from './task-changes.js'
import { escalateDueTasks } from './task-store.js'
import type { Condition, Rules } from './rules.js'

/** Accounts evaluated per round trip (facts queries, Redis pipelines). */
const SLICE = 2000

export interface PlaybookRunnerDeps {
  clickhouse: ClickHouseClient
  redis: Redis
  prefix: string
  rules: Rules
  logger?: Logger
  now?: () => number
  /** Passes of more accounts than this read every account's facts at once (and keep them for the next). @defaultValue 2,000 */
  sweepAbove?: number
  /** Accounts a sweep evaluates per Redis round trip. @defaultValue 2,000 */
  sliceSize?: number
  /** Events stored this long before a sweep's facts read count as new at the next (inserts under way then). @defaultValue 5 minutes */
  factsMarginMs?: number
}

/** What a scoring pass tells the playbooks: the records it stored and the key features it resolved. */
export interface ScoredPass {
  records: HealthScoreRecord[]
  keyFeatures: string[]
}

/** What the rules did after the last sweep: how many accounts' facts were read again and how many were evaluated. */
export interface SweepReport {
  accounts: number
  /** Accounts whose facts were read from ClickHouse ('all': every account's, in one scan of each table). */
  factsRead: number | 'all'
  /** Key features new since the last sweep whose last uses were read for every account (not every fact again). */
  featuresAdded: number
  /** Accounts in their quiet time: nothing can happen to them yet, so their rules were not run. */
  quiet: number
  evaluated: number
  /** Rules run for the accounts evaluated: those whose inputs had not moved since their quiet time was worked out were not. */
  ruleRuns: number
  written: number
  actions: number
  ms: number
}

export interface PlaybookRunner {
  store: EpisodeStore
  /** After the last sweep (null before one). */
  readonly lastSweep: SweepReport | null
  /** After a scoring pass (event-driven or the sweep): every scored account's rules, within seconds. */
  afterScoring(pass: ScoredPass): Promise<PlannedAction[]>
  /** After churn predictions: the accounts' last evaluated state with their new probability. */
  afterPrediction(predictions: PredictionRecord[]): Promise<PlannedAction[]>
  /** Before a drift batch is stored (so a failure retries the batch): drift rules over its records. */
  afterDrift(records: DriftInput[]): Promise<PlannedAction[]>
  /** After a sweep: drift rules re-armed by quiet time, overdue tasks passed to their next owner. */
  afterSweep(): Promise<{ actions: PlannedAction[]; escalated: TaskRecord[] }>
}

/**
 * Records the rules' deployment times (once per rule id, across processes and restarts) and returns the entry
 * points. Rules with no account rules or drift rules make the matching calls free.
 */
export async function createPlaybookRunner(deps: PlaybookRunnerDeps): Promise<PlaybookRunner> {
  const now = deps.now ?? Date.now
  const log = deps.logger?.child({ component: 'playbooks' })
  const store = new EpisodeStore(deps.redis, deps.prefix)
  const deployed = await store.deploy([...deps.rules.rules.map((r) => r.id), ...deps.rules.driftRules.map((r) => r.id)], now())
  const report = (outcomes: AccountOutcome[]) => {
    const primed = outcomes.filter((o) => o.primed.length)
    if (primed.length) log?.info({ accounts: primed.length, rules: [...new Set(primed.flatMap((o) => o.primed))] }, 'rules primed for accounts that matched before the rules were deployed: no actions for them')
    return outcomes.flatMap((o) => o.actions)
  }

  const conditions = deps.rules.rules.map((r) => r.when)
  const namedFeatures = featuresNamed(conditions)
  const lookbackMs = featureLookbackMs(conditions)
  // Only the facts some rule reads (the costliest, every ticket's severity, none of the default rules does).
  const factsWanted = factsWantedBy(conditions)
  const featuresFor = (keyFeatures: string[]) => (namedFeatures ? [...new Set([...keyFeatures, ...namedFeatures])] : [])
  // Every account's facts as of the last sweep, kept for the next: facts only change when events arrive, so a
  // sweep re-reads only the accounts with events stored (or come due) since — in a steady hour, a few.
  let kept: { asOf: number; readAt: number; features: string[]; facts: Map<string, PlaybookFacts> } | null = null
  let lastSweep: SweepReport | null = null
  const readEveryonesFacts = async (asOf: number, features: string[]): Promise<Pick<SweepRead, 'facts' | 'factsRead' | 'featuresAdded'>> => {
    const readAt = await clickhouseNow(deps.clickhouse)
    if (kept && asOf >= kept.asOf) {
      const changed = await accountsChangedSince(deps.clickhouse, kept.readAt, kept.asOf, asOf, deps.factsMarginMs)
      // Past half of them, one scan of each table is cheaper than looking up each account.
      if (changed.length <= kept.facts.size / 2) {
        // Key features that joined since (the portfolio's top N of a new day): their last uses alone, for
        // everyone. The features kept are a union: a feature no longer key is only not asked about.
        const added = features.filter((f) => !kept!.features.includes(f))
        const keptFeatures = [...kept.features, ...added]
        const [fresh, uses] = await Promise.all([readPlaybookFacts(deps.clickhouse, changed, asOf, keptFeatures, lookbackMs, factsWanted), readFeatureLastUse(deps.clickhouse, asOf, added, lookbackMs)])
        // New objects, not edits: the states last evaluated hold these facts and are compared with the next.
        for (const [id, used] of uses) {
          const f = kept.facts.get(id)
          if (f) kept.facts.set(id, { ...f, featureLastUsed: { ...f.featureLastUsed, ...used } })
        }
        for (const [id, f] of fresh) kept.facts.set(id, f)
        kept = { ...kept, asOf, readAt, features: keptFeatures }
        return { facts: kept.facts, factsRead: changed.length, featuresAdded: added.length }
      }
    }
    const facts = await readPlaybookFacts(deps.clickhouse, 'all', asOf, features, lookbackMs, factsWanted)
    kept = { asOf, readAt, features, facts }
    return { facts, factsRead: 'all', featuresAdded: 0 }
  }
  const readEveryone = async (asOf: number, features: string[]): Promise<SweepRead> => {
    const [facts, churn] = await Promise.all([readEveryonesFacts(asOf, features), churnProbabilities(deps.clickhouse, 'all')])
    return { ...facts, churn }
  }

  const evaluateScored = async (records: HealthScoreRecord[], keyFeatures: string[], read: SweepRead | null, asOf = latestAsOf(records)): Promise<PlannedAction[]> => {
    const ids = records.map((r) => r.accountId)
    const features = featuresFor(keyFeatures)
    const [facts, churn] = read ? [read.facts, read.churn] : await Promise.all([readPlaybookFacts(deps.clickhouse, ids, asOf, features, lookbackMs, factsWanted), churnProbabilities(deps.clickhouse, ids)])
    const accounts = records.map((r) => new ScoredAccount(r, churn.get(r.accountId) ?? null, keyFeatures, facts.get(r.accountId) ?? NO_FACTS))
    return report(await store.evaluateMany(deps.rules, accounts, deployed))
  }

  return {
    store,
    get lastSweep() {
      return lastSweep
    },

    async afterScoring({ records, keyFeatures: resolved }) {
      if (!deps.rules.rules.length || !records.length) return []
      // Rules read the key features as a set: in one order, a new day's top N reshuffled is no change of state.
      const keyFeatures = [...resolved].sort()
      if (records.length <= (deps.sweepAbove ?? SLICE)) return evaluateScored(records, keyFeatures, null)
      // A sweep hands over every account: its facts are read in one scan of each table (cheaper than one per
      // slice of ids), then the accounts are evaluated a slice per Redis round trip. (Reading them while the
      // sweep scores was tried: on two cores the two slowed each other by more than the read costs.)
      const began = performance.now()
      const counted = { ...store.counts }
      const asOf = latestAsOf(records)
      const read = await readEveryone(asOf, featuresFor(keyFeatures))
      // Two slices in flight: while one waits for Redis (its read, its commit), the other is evaluated.
      // A lane that fails stops the other taking new slices; the pass is retried whole.
      const size = deps.sliceSize ?? SLICE
      const slices: PlannedAction[][] = []
      let next = 0
      let failed = false
      const lane = async () => {
        for (let i = next; i < records.length && !failed; i = next) {
          next += size
          slices[i / size] = await evaluateScored(records.slice(i, i + size), keyFeatures, read, asOf).catch((err: unknown) => {
            failed = true
            throw err
          })
        }
      }
      await Promise.all([lane(), lane()])
      const actions = slices.flat()
      const { quiet, evaluated, ruleRuns, written } = store.counts
      lastSweep = { accounts: records.length, factsRead: read.factsRead, featuresAdded: read.featuresAdded, quiet: quiet - counted.quiet, evaluated: evaluated - counted.evaluated, ruleRuns: ruleRuns - counted.ruleRuns, written: written - counted.written, actions: actions.length, ms: Math.round(performance.now() - began) }
      log?.debug(lastSweep, 'rules evaluated after a sweep')
      return actions
    },

    async afterPrediction(predictions) {
      if (!deps.rules.rules.length || !predictions.length) return []
      // The state rules saw last, with the new probability and the same time: the probability is the only
      // thing that changed, and keeping the time keeps a later scoring pass of the same moment in order.
      const accounts: AccountEvaluation[] = predictions.map((p) => ({
        accountId: p.accountId,
        state: (stored) => {
          const previous = stored()
          return previous ? { ...previous, churnProbability: p.probability } : null
        },
      }))
      return report(await store.evaluateMany(deps.rules, accounts, deployed))
    },

    async afterDrift(records) {
      return store.evaluateDrift(deps.rules, records, now(), () => storedDrift(deps.clickhouse, now()))
    },

    async afterSweep() {
      // Floods that subsided re-arm even when no drift record arrives.
      const actions = await store.evaluateDrift(deps.rules, [], now(), () => storedDrift(deps.clickhouse, now()))
      const escalated = await escalateDueTasks(deps.clickhouse, now())
      if (escalated.length) log?.info({ tasks: escalated.length }, 'overdue tasks escalated to their next owner')
      return { actions, escalated }
    },
  }
}

interface SweepRead {
  facts: Map<string, PlaybookFacts>
  churn: Map<string, number>
  factsRead: SweepReport['factsRead']
  featuresAdded: number
}

/** The latest as-of time of a pass (a loop: spreading 100,000 records into Math.max overflows the stack). */
function latestAsOf(records: HealthScoreRecord[]): number {
  let latest = -Infinity
  for (const r of records) if (r.asOf > latest) latest = r.asOf
  return latest
}

const NO_FACTS: PlaybookFacts = { csmId: null, signupAt: null, milestones: {}, featureLastUsed: {}, lastPaymentFailedAt: null, lastP1TicketAt: null }

/**
 * The features rules read the last use of besides the key features: those `featureUnused` names. Null when
 * no rule looks at features at all (the features query is skipped).
 */
function featuresNamed(conditions: Condition[]): string[] | null {
  const named: string[] = []
  let any = false
  const visit = (c: Condition) => {
    if (c.kind === 'all') return c.conditions.forEach(visit)
    if (c.kind !== 'feature-unused') return
    any = true
    named.push(...(c.features ?? []))
  }
  conditions.forEach(visit)
  return any ? named : null
}

/**
 * How far back a feature's last use matters: "unused for N days" only asks whether it was used within the
 * last N days, so uses before the longest such window read as "not used" and need not be read at all.
 */
function featureLookbackMs(conditions: Condition[]): number {
  let longest = 0
  const visit = (c: Condition) => {
    if (c.kind === 'all') return c.conditions.forEach(visit)
    if (c.kind === 'feature-unused') longest = Math.max(longest, c.forMs)
  }
  conditions.forEach(visit)
  return longest
}

/**
 * The in-force model's probability per account; none unless the latest training is READY. The model as the API
 * sees it (`modelInForce`, kept two seconds): every event pass asks, and it changes only when a training ends.
 */
async function churnProbabilities(clickhouse: ClickHouseClient, ids: string[] | 'all'): Promise<Map<string, number>> {
  const model = await modelInForce(clickhouse)
  if (model?.status !== 'READY') return new Map()
  const predictions = await readPredictions(clickhouse, ids)
  return new Map([...predictions.values()].filter((p) => p.modelVersion === model.version).map((p) => [p.accountId, p.probability]))
}

/** Every kind of drift stored so far, at its latest time: what a new drift rule starts from. */
async function storedDrift(clickhouse: ClickHouseClient, now: number): Promise<DriftInput[]> {
  const rows = await queryRows<{ subject: string; kind: string; path: string; source: string; last: string; count: string }>(
    clickhouse,
    `SELECT subject, kind, path, source, toUnixTimestamp64Milli(max(time)) AS last, sum(count) AS count
     FROM schema_drift WHERE time <= {now:DateTime64(3, 'UTC')} GROUP BY subject, kind, path, source`,
    { now: chTime(new Date(now)) },
  )
  return rows.map((r) => ({ subject: r.subject, kind: r.kind, path: r.path, source: r.source, time: new Date(Number(r.last)).toISOString(), count: Number(r.count) }))
}
