import type { Redis } from 'ioredis'
import type { AccountState } from './account-state.js'
import type { Episode } from './episode.js'
import { runRule } from './evaluate-rule.js'
import type { PlannedAction } from './planned-actions.js'
import type { Rules } from './rules.js'

/**
 * Compare-and-set of one account's evaluation: its episodes and the state it saw are written, and its actions
 * appended to the actions stream, only if no other evaluation committed since this one read (`v`). Firing and
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

/**
 * Where account rules keep their episodes between evaluations, and where their actions wait for dispatch: one
 * Redis hash per account (`rule:<id>` → Episode, `state` → the AccountState last evaluated, `v` → a counter)
 * and one stream of actions. See the design note in index.ts.
 */
export class EpisodeStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  get actionsStream(): string {
    return `${this.prefix}:playbooks:actions`
  }

  private accountKey(accountId: string): string {
    return `${this.prefix}:playbooks:account:${accountId}`
  }

  /**
   * Evaluates every rule for the account's current state against what its last evaluation saw, stores the
   * outcome and queues the actions — once, whichever worker gets there first. Returns the actions this call
   * queued (none when the state is older than the one already evaluated: a late worker must not replay an
   * account's past as a change).
   */
  async evaluate(rules: Rules, current: AccountState): Promise<PlannedAction[]> {
    const key = this.accountKey(current.accountId)
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.redis.hgetall(key)
      const previous = stored.state ? (JSON.parse(stored.state) as AccountState) : undefined
      if (previous && previous.now > current.now) return []
      const fields: string[] = ['state', JSON.stringify(current)]
      const actions: PlannedAction[] = []
      for (const rule of rules.rules) {
        const episode = stored[`rule:${rule.id}`] ? (JSON.parse(stored[`rule:${rule.id}`]) as Episode) : undefined
        const run = runRule(rule, { previous, current, episode, owners: rules })
        fields.push(`rule:${rule.id}`, JSON.stringify(run.episode))
        actions.push(...run.actions)
      }
      const committed = await this.redis.eval(COMMIT, 2, key, this.actionsStream, stored.v ?? '', fields.length / 2, ...fields, ...actions.map((a) => JSON.stringify(a)))
      if (committed === 1) return actions
    }
    throw new Error(`playbooks: account ${current.accountId} changed under ${MAX_ATTEMPTS} evaluations in a row; its evaluation is left for the next pass`)
  }

  /** The episodes stored for an account, by rule id. */
  async episodes(accountId: string): Promise<Record<string, Episode>> {
    const stored = await this.redis.hgetall(this.accountKey(accountId))
    return Object.fromEntries(Object.entries(stored).filter(([f]) => f.startsWith('rule:')).map(([f, v]) => [f.slice(5), JSON.parse(v) as Episode]))
  }
}
