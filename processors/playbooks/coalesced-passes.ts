/**
 * The playbooks' cadence on the scoring path. Under a steady stream of events a scoring pass runs every
 * second or so and covers most of the busy accounts each time; evaluating the rules after every pass reads
 * those accounts' facts (milestones, key features' last uses) from ClickHouse every time, and the next pass
 * waits for it. Rules need not run that often ("seconds from event to alert"), so event passes are held and
 * merged, each account's latest score winning, and evaluated at most once every `everyMs`. A pass that comes
 * once that long has passed since the last evaluation began evaluates everything held, and the pass after it
 * waits for that as before; when no pass comes, a timer evaluates what is held `2 × everyMs` after the first
 * of it came (long enough that under load the next pass takes it, not an evaluation beside a pass: in one
 * process ClickHouse's parameterized reads take turns, and the pass's read would wait behind the rules').
 * Sweeps and re-scores are evaluated at once, with whatever is held.
 *
 * Skipping an account's intermediate scores keeps every change that lasts: an evaluation compares the account's
 * state with the one its last evaluation stored, so an edge between the two is still seen. A state that comes and
 * goes within one interval (At-risk for two seconds) is not, as one between two passes never was.
 */
import type { HealthScoreRecord, ScoreTrigger } from '../scoring/account-score.js'
import type { ScoredPass } from './playbook-runner.js'

export interface CoalescedPassesOptions {
  /** Least time between the beginnings of two evaluations of event passes; 0 evaluates every pass at once. */
  everyMs: number
  /** The rules over a (merged) pass's accounts. Evaluations run one at a time, in order. */
  evaluate: (pass: ScoredPass) => Promise<unknown>
  /** An evaluation failed: its accounts are evaluated at their next pass (the hourly sweep at the latest). */
  onError: (err: unknown, accounts: number) => void
  /**
   * Most accounts of event passes evaluated at once; more are evaluated in turns of this many. Keeps merged
   * event passes on the runner's per-account path (its sweep path reads every account's facts).
   * @defaultValue 2,000, the runner's default `sweepAbove`
   */
  sliceSize?: number
  now?: () => number
}

export interface CoalescedPasses {
  /** A stored pass's scores: evaluated before this resolves when due, else held. Never rejects (see `onError`). */
  offer(pass: ScoredPass & { trigger: ScoreTrigger }): Promise<void>
  /** Evaluates whatever is held and waits for every evaluation begun. */
  flush(): Promise<void>
  /** Stops the timer and waits for evaluations begun; what is held is left to the accounts' next pass. */
  close(): Promise<void>
  /** Accounts held for the next evaluation. */
  readonly held: number
}

export function coalescePasses(options: CoalescedPassesOptions): CoalescedPasses {
  const now = options.now ?? Date.now
  let held = new Map<string, HealthScoreRecord>()
  let heldFeatures: string[] = []
  let lastBegan = -Infinity
  let timer: ReturnType<typeof setTimeout> | undefined
  let chain: Promise<void> = Promise.resolve()

  const sliceSize = options.sliceSize ?? 2000
  const take = (): ScoredPass => {
    const pass = { records: [...held.values()], keyFeatures: heldFeatures }
    held = new Map()
    if (timer) clearTimeout(timer)
    timer = undefined
    lastBegan = now()
    return pass
  }
  const run = (pass: ScoredPass, sliced = true): Promise<void> => {
    const evaluate = async () => {
      if (!sliced) return options.evaluate(pass)
      for (let i = 0; i < pass.records.length; i += sliceSize) await options.evaluate({ records: pass.records.slice(i, i + sliceSize), keyFeatures: pass.keyFeatures })
    }
    const done = chain.then(evaluate).then(
      () => {},
      (err: unknown) => {
        options.onError(err, pass.records.length)
      },
    )
    chain = done
    return done
  }

  return {
    get held() {
      return held.size
    },
    async offer(pass) {
      for (const r of pass.records) held.set(r.accountId, r)
      // The latest pass resolved the portfolio's key features as of the latest scores.
      heldFeatures = pass.keyFeatures
      if (!held.size) return
      if (pass.trigger !== 'event') return run(take(), false)
      if (options.everyMs <= 0 || now() - lastBegan >= options.everyMs) return run(take())
      if (timer) return
      timer = setTimeout(() => void run(take()), 2 * options.everyMs)
      timer.unref?.()
    },
    async flush() {
      if (held.size) void run(take())
      await chain
    },
    async close() {
      if (timer) clearTimeout(timer)
      timer = undefined
      await chain
    },
  }
}
