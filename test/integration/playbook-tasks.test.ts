import { createClient as createWsClient } from 'graphql-ws'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import WebSocket from 'ws'
import { createGraphQLServer, type GraphQLServer } from '../../graphql/index.js'
import { migrate } from '../../migrations/runner.js'
import { ActionDispatcher, changeTask, createPlaybookRunner, EpisodeStore, loadRules, type PlannedAction, type PlannedTask } from '../../processors/playbooks/index.js'
import { createScoreEvents, loadScorecard, type ScoreEvents } from '../../processors/scoring/index.js'
import { ApiKeys, bearer } from '../../runtime/auth/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { insertEvents } from '../support/event-rows.js'
import { eventually, tempDir, uniqueName } from '../support/fixtures.js'
import { DAY, scored, T0 } from '../support/playbook-accounts.js'

const scorecard = loadScorecard({ config: 'pulse' })
const { rules } = loadRules({ scorecard: scorecard.card, config: 'default' })

describe('playbook tasks and alerts through the GraphQL API: lists, mutations, subscriptions, escalation and KPIs (real Redis, ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const redis = new Redis(inject('redisUrl'))
  const publishClient = new Redis(inject('redisUrl'))
  const subscribeClient = new Redis(inject('redisUrl'))
  const prefix = uniqueName('tasks')
  const store = new EpisodeStore(redis, prefix)
  const secrets = { reader: 'reader-secret-1', writer: 'writer-secret-1' }
  const apiKeys = new ApiKeys(redis, uniqueName('keys'), new Map([
    ['reader', { secret: secrets.reader, scopes: ['read'] }],
    ['writer', { secret: secrets.writer, scopes: ['read', 'write'] }],
  ]), 0)
  let scoreEvents: ScoreEvents
  let server: GraphQLServer
  let url = ''
  let fired: PlannedAction[] = []

  const request = async (query: string, variables: Record<string, unknown> = {}, key = secrets.reader) => {
    const res = await server.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, headers: { authorization: bearer(key) } })
    return res.json() as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }
  }
  const TASK = 'id ruleId taskId accountId title assignee assigneeRole status overdue dueAt snoozedUntil completedAt completedBy escalations { at owner to applied }'
  const tasksOf = (t: PlannedAction[]) => t.filter((a): a is PlannedTask => a.type === 'task')

  beforeAll(async () => {
    await migrate(clickhouse)
    // Two accounts with CSMs (their profiles make them the KPI groups' accounts).
    await insertEvents(clickhouse, ['acct_a', 'acct_b'].map((accountId, i) => ({
      event: 'account_updated', accountId, at: T0 - 30 * DAY, properties: { name: accountId, segment: 'MID_MARKET', industry: null, csmId: i ? 'csm_bo' : 'csm_ana', signupDate: null, country: null },
    })))
    scoreEvents = createScoreEvents({ publishClient, subscribeClient, channel: uniqueName('scores') })
    server = await createGraphQLServer({ apiKeys, clickhouse, scoreEvents, scorecard, logger: pino({ level: 'error' }) })
    url = `${await server.app.listen({ port: 0, host: '127.0.0.1' })}/graphql`
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    for (const r of [redis, publishClient, subscribeClient]) r.disconnect()
    await clickhouse.close()
  })

  it('a score collapse is dispatched into stored tasks and alerts, pushed to alertFired and taskCreated subscribers as it happens', async () => {
    const ws = createWsClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, lazy: false, connectionParams: { authorization: bearer(secrets.reader) } })
    await new Promise<void>((resolve, reject) => {
      ws.on('connected', () => resolve())
      ws.on('error', reject)
    })
    const got: Record<string, any[]> = { alerts: [], critical: [], tasks: [], other: [] }
    const listen = (key: string, query: string) => ws.subscribe({ query }, { next: (m) => got[key].push(m.data ?? m.errors), error: (e) => got[key].push({ error: e }), complete: () => {} })
    const stops = [
      listen('alerts', 'subscription { alertFired(accountId: "acct_a") { id ruleId accountId severity title why scoreMove { score } } }'),
      listen('critical', 'subscription { alertFired(severities: [CRITICAL]) { id ruleId severity } }'),
      listen('tasks', 'subscription { taskCreated(assignee: "csm_ana") { id taskId accountId assignee status dueAt } }'),
      listen('other', 'subscription { taskCreated(accountId: "acct_nobody") { id } }'),
    ]
    await new Promise((r) => setTimeout(r, 300))

    await store.evaluate(rules, scored(scorecard.card.tiers, 70, { accountId: 'acct_a' }))
    fired = await store.evaluate(rules, scored(scorecard.card.tiers, 35, { accountId: 'acct_a', now: T0 + DAY }))
    const dispatcher = new ActionDispatcher({
      redis, stream: store.actionsStream, consumer: 'c1', clickhouse,
      onAlert: async (a) => void (await scoreEvents.publishAlert(a)),
      onTask: async (t) => void (await scoreEvents.publishTask(t)),
    })
    await dispatcher.init()
    expect(await dispatcher.runOnce(100)).toBe(fired.length)

    const alerts = fired.filter((a) => a.type === 'alert')
    const tasks = tasksOf(fired)
    expect(alerts.map((a) => a.ruleId).sort()).toEqual(expect.arrayContaining(['score-below-40', 'score-below-60']))
    expect(tasks.map((t) => t.taskId)).toEqual(expect.arrayContaining(['outreach', 'exec-sponsor', 'weekly-review']))
    await eventually('the pushes', async () => (got.alerts.length === alerts.length && got.tasks.length === tasks.length ? true : undefined))
    await new Promise((r) => setTimeout(r, 200))
    expect(got.alerts.map((m) => m.alertFired.id).sort()).toEqual(alerts.map((a) => a.key).sort())
    expect(got.alerts.find((m) => m.alertFired.ruleId === 'score-below-40').alertFired).toMatchObject({ accountId: 'acct_a', severity: 'CRITICAL', why: [expect.stringContaining('35')] })
    expect(got.critical.every((m) => m.alertFired.severity === 'CRITICAL')).toBe(true)
    expect(got.critical.length).toBe(alerts.filter((a) => a.type === 'alert' && a.severity === 'critical').length)
    expect(got.tasks.map((m) => m.taskCreated.id).sort()).toEqual(tasks.map((t) => t.key).sort())
    expect(got.tasks.every((m) => m.taskCreated.assignee === 'csm_ana' && m.taskCreated.status === 'OPEN')).toBe(true)
    expect(got.other).toEqual([])
    for (const stop of stops) stop()
    await ws.dispose()

    // The stored alerts, newest first, a page at a time.
    const first = await request(`{ alerts(filter: { accountIds: ["acct_a"] }, first: 1) { pageInfo { hasNextPage endCursor } edges { node { id ruleId severity recipient recipientRole channels firedAt } } } }`)
    expect(first.errors).toBeUndefined()
    expect(first.data.alerts.edges).toHaveLength(1)
    const rest = await request(`query($after: String) { alerts(filter: { accountIds: ["acct_a"] }, first: 100, after: $after) { pageInfo { hasNextPage } edges { node { id } } } }`, { after: first.data.alerts.pageInfo.endCursor })
    expect([first.data.alerts.edges[0].node.id, ...rest.data.alerts.edges.map((e: any) => e.node.id)].sort()).toEqual(alerts.map((a) => a.key).sort())
    expect(rest.data.alerts.pageInfo.hasNextPage).toBe(false)
    expect((await request('{ alerts(after: "nonsense") { edges { cursor } } }')).errors?.[0]).toMatchObject({ message: expect.stringContaining('is not a cursor of the alerts list'), extensions: { code: 'BAD_USER_INPUT' } })
  })

  it('lists tasks soonest due first, page by page, each once, with the filters and totalCount', async () => {
    const tasks = tasksOf(fired)
    const seen: any[] = []
    let after: string | null = null
    for (;;) {
      const r: any = await request(`query($after: String) { tasks(filter: { accountIds: ["acct_a"] }, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${TASK} } } } }`, { after })
      expect(r.errors).toBeUndefined()
      expect(r.data.tasks.totalCount).toBe(tasks.length)
      seen.push(...r.data.tasks.edges.map((e: any) => e.node))
      if (!r.data.tasks.pageInfo.hasNextPage) break
      after = r.data.tasks.pageInfo.endCursor
    }
    expect(seen.map((t) => t.id).sort()).toEqual(tasks.map((t) => t.key).sort())
    const dues = seen.map((t) => Date.parse(t.dueAt))
    expect(dues).toEqual([...dues].sort((a, b) => a - b))
    const outreach = seen.find((t) => t.ruleId === 'score-below-40' && t.taskId === 'outreach')
    expect(outreach).toMatchObject({ assignee: 'csm_ana', assigneeRole: 'csm', status: 'OPEN', overdue: true, escalations: [{ owner: 'cs_director', to: 'cs-director', applied: false }] })
    const filtered = await request(`{ tasks(filter: { ruleIds: ["score-below-40"], statuses: [OPEN], overdue: true }) { totalCount } }`)
    expect(filtered.data.tasks.totalCount).toBe(tasks.filter((t) => t.ruleId === 'score-below-40').length)
    expect((await request(`{ tasks(filter: { assignees: ["nobody"] }) { totalCount edges { cursor } } }`)).data.tasks).toEqual({ totalCount: 0, edges: [] })
    expect((await request('{ tasks(first: 0) { totalCount } }')).errors?.[0]).toMatchObject({ message: 'tasks: first must be 1-100, got 0', extensions: { code: 'BAD_USER_INPUT' } })
  })

  it('completes, snoozes and reassigns with the write scope; refuses a reader, a finished task and an unknown id, each saying why', async () => {
    const tasks = tasksOf(fired)
    const key = (ruleId: string, taskId: string) => tasks.find((t) => t.ruleId === ruleId && t.taskId === taskId)!.key
    const complete = `mutation($id: ID!) { completeTask(id: $id) { ${TASK} } }`
    const refused = await request(complete, { id: key('score-below-40', 'daily-check') })
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('needs the write scope'), extensions: { code: 'FORBIDDEN' } })

    const done = await request(complete, { id: key('score-below-40', 'daily-check') }, secrets.writer)
    expect(done.errors).toBeUndefined()
    expect(done.data.completeTask).toMatchObject({ status: 'DONE', completedBy: 'writer', overdue: false })
    const again = await request(complete, { id: key('score-below-40', 'daily-check') }, secrets.writer)
    expect(again.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^completeTask: task .* is already done at .* by writer; only open tasks can be changed$/), extensions: { code: 'BAD_USER_INPUT' } })
    expect((await request(complete, { id: 'no/such/task' }, secrets.writer)).errors?.[0]).toMatchObject({ message: 'completeTask: no task with id "no/such/task"', extensions: { code: 'NOT_FOUND' } })

    const until = new Date(Date.now() + 3 * DAY).toISOString()
    const snoozed = await request(`mutation($id: ID!, $until: DateTimeISO!) { snoozeTask(id: $id, until: $until) { ${TASK} } }`, { id: key('score-below-40', 'outreach'), until }, secrets.writer)
    expect(snoozed.errors).toBeUndefined()
    expect(snoozed.data.snoozeTask).toMatchObject({ status: 'OPEN', overdue: false, snoozedUntil: until, dueAt: until })
    expect(Date.parse(snoozed.data.snoozeTask.escalations[0].at)).toBe(Date.parse(until)) // the escalation was at the due date: it moved with it
    expect((await request(`{ tasks(filter: { snoozed: true }) { edges { node { id } } } }`)).data.tasks.edges.map((e: any) => e.node.id)).toEqual([key('score-below-40', 'outreach')])
    const past = await request(`mutation($id: ID!) { snoozeTask(id: $id, until: "2020-01-01T00:00:00.000Z") { id } }`, { id: key('score-below-40', 'outreach') }, secrets.writer)
    expect(past.errors?.[0]).toMatchObject({ message: expect.stringContaining('snoozeTask: until must be in the future'), extensions: { code: 'BAD_USER_INPUT' } })

    const assigned = await request(`mutation($id: ID!) { assignTask(id: $id, assignee: "csm_dee") { ${TASK} } }`, { id: key('score-below-60', 'weekly-review') }, secrets.writer)
    expect(assigned.data.assignTask).toMatchObject({ assignee: 'csm_dee', assigneeRole: 'assigned', status: 'OPEN' })
    expect((await request(`{ task(id: "${key('score-below-60', 'weekly-review')}") { assignee } }`)).data.task).toEqual({ assignee: 'csm_dee' })
  })

  it('the sweep passes each overdue task to its next owner once; completed, snoozed and reassigned tasks stay', async () => {
    const tasks = tasksOf(fired)
    const escalating = tasks.filter((t) => t.escalations.length)
    const runner = await createPlaybookRunner({ clickhouse, redis, prefix, rules, now: () => T0 + 10 * DAY })
    const { escalated } = await runner.afterSweep()
    // The snoozed outreach moved its escalation into the future; the others are due.
    const expected = escalating.filter((t) => !(t.ruleId === 'score-below-40' && t.taskId === 'outreach')).map((t) => t.key).sort()
    expect(expected.length).toBeGreaterThan(0)
    expect(escalated.map((t) => t.key).sort()).toEqual(expected)
    expect((await runner.afterSweep()).escalated).toEqual([])
    const r = await request(`{ tasks(filter: { assignees: ["cs-director"] }) { edges { node { id assigneeRole escalations { applied } } } } }`)
    expect(r.data.tasks.edges.map((e: any) => e.node.id).sort()).toEqual(expected.filter((k) => escalating.find((t) => t.key === k)!.escalations[0].owner === 'cs_director').sort())
    expect(r.data.tasks.edges.every((e: any) => e.node.assigneeRole === 'cs_director' && e.node.escalations[0].applied)).toBe(true)
    // A completion after the escalation time wins over the escalation (it is the later version).
    const exec = expected[0]
    await request(`mutation { completeTask(id: "${exec}") { id } }`, {}, secrets.writer)
    expect((await request(`{ task(id: "${exec}") { status assignee } }`)).data.task).toEqual({ status: 'DONE', assignee: 'cs-director' })
  })

  it('counts task completion and playbook adherence per CSM book in the KPIs', async () => {
    const tasks = tasksOf(fired)
    // One more done on time (a day after it opened, before its due date), through the store as a console would.
    const onTime = tasks.find((t) => t.ruleId === 'at-risk' && t.taskId === 'save-plan')!
    await changeTask(clickhouse, onTime.key, { kind: 'complete', by: 'csm_ana' }, T0 + 2 * DAY)
    const r = await request(`query($from: DateTimeISO, $to: DateTimeISO) { kpis(groupBy: CSM, from: $from, to: $to) { key accounts tasksDue tasksDone taskCompletionRate playbookAdherence } }`, {
      from: new Date(T0).toISOString(), to: new Date(Date.now() + 30 * DAY).toISOString(),
    })
    expect(r.errors).toBeUndefined()
    const ana = r.data.kpis.find((g: any) => g.key === 'csm_ana')
    // Every task of acct_a is due in the period; done: daily-check and the escalated one (late), save-plan (on time).
    expect(ana).toEqual({ key: 'csm_ana', accounts: 1, tasksDue: tasks.length, tasksDone: 3, taskCompletionRate: 3 / tasks.length, playbookAdherence: 1 / tasks.length })
    expect(r.data.kpis.find((g: any) => g.key === 'csm_bo')).toMatchObject({ accounts: 1, tasksDue: 0, taskCompletionRate: null, playbookAdherence: null })
  })
})
