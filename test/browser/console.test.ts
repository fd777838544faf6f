import fs from 'node:fs'
import path from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { CONSOLE_DIST } from '../../graphql/console-site.js'
import { createGraphQLServer, type GraphQLServer } from '../../graphql/index.js'
import { migrate } from '../../migrations/runner.js'
import { createScoreEvents, loadScorecard, scoreAccounts, type ScoreEvents } from '../../processors/scoring/index.js'
import { ApiKeys, bearer } from '../../runtime/auth/index.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { launchChromium } from '../support/browser.js'
import { tempDir, uniqueName } from '../support/fixtures.js'
import { insertSimulated } from '../support/simulated.js'
import { insertEvents } from '../support/event-rows.js'
import { parseTargets } from '../../processors/kpis/targets.js'
import { trainAndPredict } from '../../processors/churn/index.js'

const DAY = 86_400_000
const END_DAY = Math.floor(Date.now() / DAY)
/** Where the run's screenshots go (the key ones are copied to docs/console/ by hand). */
const SHOTS = path.resolve('test-results/console')
/** What the accessibility audit holds every page to: WCAG 2.0, 2.1 and 2.2 A and AA (color contrast included), and axe's best practices (landmarks, heading order). */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']

type TierRow = { tier: string; accounts: number }

describe('the console in a real browser, on a scored portfolio (Debian Chromium, real ClickHouse engine and Redis)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const redis = [new Redis(inject('redisUrl')), new Redis(inject('redisUrl')), new Redis(inject('redisUrl'))]
  const secret = 'console-reader-1'
  const writer = 'console-writer-1'
  let server: GraphQLServer
  let base = ''
  let browser: Browser
  let page: Page
  let scoring: { scorecard: ReturnType<typeof loadScorecard>; publish: ScoreEvents['publish']; events: ScoreEvents }
  const pageErrors: string[] = []

  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await server.app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, headers: { authorization: bearer(secret) } })
    const body = res.json() as { data: any; errors?: unknown[] }
    expect(body.errors).toBeUndefined()
    return body.data
  }

  /** The portfolio's tier table as shown: [tier, accounts] per row. */
  const shownTiers = () =>
    page
      .getByRole('table', { name: 'Accounts by health tier' })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-tier'), Number(r.querySelector('[data-field=accounts]')!.textContent!.replace(/,/g, ''))]))
  const tierPairs = (tiers: TierRow[]) => tiers.map((t) => [t.tier, t.accounts])
  const total = (tiers: TierRow[]) => tiers.reduce((n, t) => n + t.accounts, 0)

  beforeAll(async () => {
    if (!fs.existsSync(path.join(CONSOLE_DIST, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST}): run "bash bin/bootstrap" or "npm run build:console"`)
    fs.mkdirSync(SHOTS, { recursive: true })
    await migrate(clickhouse)
    // The demo's portfolio shape: enough churn history for the audit's model to be READY (300 accounts over 120 days gave NO_SIGNAL).
    await insertSimulated(clickhouse, { accounts: 400, days: 180, seed: 3, churnRate: 0.3, endDay: END_DAY })
    const scorecard = loadScorecard({})
    // Sweeps two weeks and one week back, then a minute ago: the tier trend has points to draw.
    const now = Date.now() - 60_000
    for (const t of [now - 14 * DAY, now - 7 * DAY]) await scoreAccounts({ clickhouse, scorecard, publish: () => {}, now: () => t }, { all: true }, t, 'sweep')
    await scoreAccounts({ clickhouse, scorecard, publish: () => {}, now: () => now }, { all: true }, now, 'sweep', { live: true })
    const apiKeys = new ApiKeys(redis[0], uniqueName('keys'), new Map([['console', { secret, scopes: ['read'] }], ['console-writer', { secret: writer, scopes: ['read', 'write'] }]]), 0)
    const scoreEvents = createScoreEvents({ publishClient: redis[1], subscribeClient: redis[2], channel: uniqueName('scores') })
    scoring = { scorecard, publish: scoreEvents.publish, events: scoreEvents }
    // A configured target (PULSE_KPI_TARGETS): the console shows what the API says, not the sheet's default.
    server = await createGraphQLServer({ apiKeys, clickhouse, scoreEvents, scorecard, kpiTargets: parseTargets('nps=10,adoption=0.5'), logger: pino({ level: 'error' }) })
    base = await server.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchChromium()
    // In a context of its own (not browser.newPage()): axe opens a blank page beside it to put its results together.
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    // A script error in the page fails the test that caused it, with the page's own message.
    page.on('pageerror', (e) => pageErrors.push(e.message))  }, 240_000)
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]))
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    for (const r of redis) r.disconnect()
    await clickhouse.close()
  })

  it('asks for a key without one, says plainly when the API refuses it, and is signed in by the link pulse dev prints', async () => {
    await page.goto(`${base}/console/`)
    await page.getByLabel('API key').waitFor()
    await page.getByLabel('API key').fill('not-a-key-at-all')
    await page.getByRole('button', { name: 'Open the console' }).click()
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'key-refused.png') })
    // The link: the key in the fragment, taken into the session and out of the address bar.
    await page.goto(`${base}/console/#key=${encodeURIComponent(secret)}`)
    await page.getByRole('heading', { name: 'Portfolio' }).waitFor()
    expect(page.url()).not.toContain(secret)
  })

  it('the portfolio shows the tiers GraphQL returns, with their counts', async () => {
    const { portfolio } = await graphql('{ portfolio { tiers { tier accounts } } }')
    await page.goto(`${base}/console/#/portfolio`)
    const table = page.getByRole('table', { name: 'Accounts by health tier' })
    await table.waitFor()
    const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-tier'), Number(r.querySelector('[data-field=accounts]')!.textContent!.replace(/,/g, ''))]))
    expect(shown).toEqual(portfolio.tiers.map((t: { tier: string; accounts: number }) => [t.tier, t.accounts]))
    expect(portfolio.tiers.length).toBeGreaterThan(1)
    await page.getByRole('img', { name: /Accounts per tier over time/ }).waitFor()
    await page.getByRole('table', { name: 'Cohorts by signup month' }).waitFor()
    const kpis = page.getByRole('table', { name: 'KPIs against targets' })
    await kpis.waitFor()
    expect(await kpis.locator('tr[data-kpi=nps] td').nth(1).textContent()).toBe('> 10')
    expect(await kpis.locator('tr[data-kpi=adoptionRate] td').nth(1).textContent()).toBe('> 50 %')
    expect(await kpis.locator('tr[data-kpi=csatAverage] td').nth(1).textContent()).toBe('> 4.5')
    await page.screenshot({ path: path.join(SHOTS, 'portfolio.png'), fullPage: true })
    // One segment: the picker puts it in the URL, and the tiers are that segment's.
    const smb = (await graphql('{ portfolio(segment: "SMB") { tiers { tier accounts } } }')).portfolio.tiers
    await page.getByLabel('Segment').selectOption('SMB')
    await expect.poll(() => page.url()).toContain('segment=SMB')
    await page.getByRole('heading', { name: 'Portfolio — SMB' }).waitFor()
    await expect
      .poll(() => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-tier'), Number(r.querySelector('[data-field=accounts]')!.textContent!.replace(/,/g, ''))])))
      .toEqual(smb.map((t: { tier: string; accounts: number }) => [t.tier, t.accounts]))
    expect(smb.reduce((n: number, t: { accounts: number }) => n + t.accounts, 0)).toBeLessThan(portfolio.tiers.reduce((n: number, t: { accounts: number }) => n + t.accounts, 0))
  })

  it("the CSM picker lists the CSMs and narrows the portfolio to that CSM's book, with a segment too; a tier opens the book's accounts", async () => {
    const { csms, portfolio } = await graphql('{ csms portfolio { tiers { tier accounts } } }')
    expect(csms.length).toBeGreaterThan(1)
    const csm = csms[1]
    const mine: TierRow[] = (await graphql('query($csm: String) { portfolio(csm: $csm) { tiers { tier accounts } } }', { csm })).portfolio.tiers
    expect(total(mine)).toBeGreaterThan(0)
    expect(total(mine)).toBeLessThan(total(portfolio.tiers))
    await page.goto(`${base}/console/#/portfolio`)
    await page.getByRole('table', { name: 'Accounts by health tier' }).waitFor()
    // By role: the heading of a CSM's book says "csm" too.
    const picker = page.getByRole('combobox', { name: /^CSM\b/ })
    await expect.poll(() => picker.locator('option').allTextContents()).toEqual(['All', ...csms])
    await picker.selectOption(csm)
    await expect.poll(() => page.url()).toContain(`csm=${csm}`)
    await page.getByRole('heading', { name: `Portfolio — ${csm}’s book` }).waitFor()
    await expect.poll(shownTiers).toEqual(tierPairs(mine))
    // A segment as well: the accounts of both, and the URL keeps both.
    const both: TierRow[] = (await graphql('query($csm: String) { portfolio(csm: $csm, segment: "SMB") { tiers { tier accounts } } }', { csm })).portfolio.tiers
    expect(total(both)).toBeLessThan(total(mine))
    await page.getByLabel('Segment').selectOption('SMB')
    await expect.poll(() => page.url()).toMatch(new RegExp(`segment=SMB.*csm=${csm}`))
    await page.getByRole('heading', { name: `Portfolio — SMB, ${csm}’s book` }).waitFor()
    await expect.poll(shownTiers).toEqual(tierPairs(both))
    expect(await picker.inputValue()).toBe(csm)
    // The link: a view is an address; opened afresh it shows the same book.
    await page.goto(`${base}/console/#/portfolio?csm=${encodeURIComponent(csm)}`)
    await page.getByRole('heading', { name: `Portfolio — ${csm}’s book` }).waitFor()
    await expect.poll(shownTiers).toEqual(tierPairs(mine))
    // A tier of the book opens the accounts of that tier in the book.
    const tier = mine.find((t) => t.accounts > 0)!
    await page.locator(`tr[data-tier="${tier.tier}"] a`).click()
    await expect.poll(() => page.url()).toContain(`csm=${csm}`)
    const expected = await graphql('query($tier: String!, $csm: String!) { accounts(filter: { tiers: [$tier], csmIds: [$csm] }, first: 1) { totalCount } }', { tier: tier.tier, csm })
    await expect.poll(() => page.getByText(`${expected.accounts.totalCount.toLocaleString('en')} accounts`).count()).toBe(1)
    expect(await page.getByRole('combobox', { name: /^CSM\b/ }).inputValue()).toBe(csm)
  })

  it('filters the accounts table from the URL, pages through it with the API\'s cursors, and clicking a tier on the portfolio opens it filtered', async () => {
    const { portfolio } = await graphql('{ portfolio { tiers { tier accounts } } }')
    const tier = portfolio.tiers.find((t: { accounts: number }) => t.accounts > 50)?.tier ?? portfolio.tiers[0].tier
    const expected = await graphql(`query($tier: String!) { accounts(filter: { tiers: [$tier] }, first: 50) { totalCount pageInfo { hasNextPage } edges { node { id healthScore { score } } } } }`, { tier })
    await page.goto(`${base}/console/#/portfolio`)
    await page.locator(`tr[data-tier="${tier}"] a`).click()
    const table = page.getByRole('table', { name: 'Accounts', exact: true })
    await table.waitFor()
    expect(page.url()).toContain(`tier=${encodeURIComponent(tier)}`)
    const ids = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')))
    expect(ids).toEqual(expected.accounts.edges.map((e: { node: { id: string } }) => e.node.id))
    await expect.poll(() => page.getByText(`${expected.accounts.totalCount.toLocaleString('en')} accounts`).count()).toBe(1)
    // Each row's sparkline: the account's daily scores of the last 30 days, as the API gives them.
    const firstId = ids[0]!
    const { account: firstAccount } = await graphql(`{ account(id: "${firstId}") { dailyScores(days: 30) } }`)
    expect(firstAccount.dailyScores.filter((x: number | null) => x !== null).length).toBeGreaterThanOrEqual(2)
    expect(await table.locator(`tr[data-account="${firstId}"] svg.sparkline`).getAttribute('data-points')).toBe(String(firstAccount.dailyScores.filter((x: number | null) => x !== null).length))
    await page.screenshot({ path: path.join(SHOTS, 'accounts.png'), fullPage: true })
    if (expected.accounts.pageInfo.hasNextPage) {
      await page.getByRole('link', { name: 'Next page' }).click()
      await page.getByText('(a later page)').waitFor()
      // The first page stays on screen until the next one arrives.
      await expect.poll(() => table.locator('tbody tr').first().getAttribute('data-account')).not.toBe(ids[0])
      const next = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')))
      expect(next.length).toBeGreaterThan(0)
      expect(next.filter((id) => ids.includes(id))).toEqual([])
    }
    // Ordered by score, lowest first, through the form: the first row is the lowest score of the tier.
    await page.getByLabel('Order').selectOption('SCORE:ASC')
    await page.getByRole('button', { name: 'Apply' }).click()
    await expect.poll(() => page.url()).toContain('order=SCORE%3AASC')
    const lowest = await graphql(`query($tier: String!) { accounts(filter: { tiers: [$tier] }, orderBy: { field: SCORE, direction: ASC }, first: 1) { edges { node { id } } } }`, { tier })
    await expect.poll(() => table.locator('tbody tr').first().getAttribute('data-account')).toBe(lowest.accounts.edges[0].node.id)
  })

  it('the account 360 shows the score, its components and the churn section, and a new score reaches the open page live', async () => {
    const { accounts } = await graphql('{ accounts(filter: { tiers: ["Healthy"] }, orderBy: { field: SCORE, direction: DESC }, first: 1) { edges { node { id healthScore { score components { name } } } } } }')
    const account = accounts.edges[0].node
    await page.goto(`${base}/console/#/accounts?tier=Healthy&order=SCORE%3ADESC`)
    await page.locator(`tr[data-account="${account.id}"] a`).click()
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Healthy' }).waitFor()
    expect(page.url()).toContain(`id=${account.id}`)
    const components = page.getByRole('table', { name: 'Score components' })
    await expect.poll(() => components.locator('tbody tr').count()).toBe(account.healthScore.components.length)
    await expect.poll(() => page.locator('[data-field=score]').textContent()).toBe(String(account.healthScore.score))
    await page.getByRole('heading', { name: 'Churn risk' }).waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'account.png'), fullPage: true })

    // Bad news arrives for the account and it is scored again: the open page shows the new score by itself.
    const at = Date.now() - 30_000
    await insertEvents(clickhouse, [
      { event: 'nps_submitted', accountId: account.id, at, properties: { score: 0, comment: null, surveyId: null } },
      ...[1, 2, 3].map((i) => ({ event: 'support_ticket_opened', accountId: account.id, at: at + i, properties: { ticketId: `live-${i}`, severity: 'P1', channel: 'EMAIL', category: null } })),
    ])
    await scoreAccounts({ clickhouse, scorecard: scoring.scorecard, publish: scoring.publish }, { accountIds: [account.id] }, Date.now(), 'event')
    const { account: after } = await graphql(`{ account(id: "${account.id}") { healthScore { score } } }`)
    expect(after.healthScore.score).not.toBe(account.healthScore.score)
    await expect.poll(() => page.locator('[data-field=score]').textContent(), { timeout: 10_000 }).toBe(String(after.healthScore.score))
    await page.getByText('updated live').waitFor()
  })

  it('tasks: one owner\'s open tasks, completed from the page with a write key; a read-only key is told it may not', async () => {
    const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
    const task = (n: number, assignee: string) => ({
      key: `at-risk/acct_t${n}/1/outreach/0`, rule_id: 'at-risk', task_id: 'outreach', occurrence: 0, account_id: `acct_t${n}`, title: `Reach out to customer ${n}`,
      why: ['tier At-risk'], assignee, assignee_role: 'csm', status: 'open', opened_at: time(Date.now() - 3 * DAY), due_at: time(Date.now() - n * DAY + 2 * DAY),
      escalations: '[]', updated_at: time(Date.now() - 3 * DAY),
    })
    await clickhouse.insert({ table: 'playbook_tasks', format: 'JSONEachRow', values: [task(1, 'csm_ana'), task(2, 'csm_ana'), task(3, 'csm_bo')] })
    await page.goto(`${base}/console/#/tasks?assignee=csm_ana`)
    const table = page.getByRole('table', { name: 'Open tasks' })
    await table.waitFor()
    expect(await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')))).toEqual(['at-risk/acct_t2/1/outreach/0', 'at-risk/acct_t1/1/outreach/0'])
    // The reader's key may look, not act.
    await table.locator('tr[data-task="at-risk/acct_t1/1/outreach/0"]').getByRole('button', { name: 'Complete' }).click()
    await page.getByRole('status').filter({ hasText: 'write scope' }).waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'tasks-read-only.png'), fullPage: true })
    // Signed in with a write key (the link again), the same click completes it.
    await page.goto(`${base}/console/#key=${encodeURIComponent(writer)}`)
    await page.getByRole('heading', { name: 'Portfolio' }).waitFor()
    await page.goto(`${base}/console/#/tasks?assignee=csm_ana`)
    await table.locator('tr[data-task="at-risk/acct_t1/1/outreach/0"]').getByRole('button', { name: 'Complete' }).click()
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1)
    const { task: done } = await graphql('{ task(id: "at-risk/acct_t1/1/outreach/0") { status completedBy } }')
    expect(done).toEqual({ status: 'DONE', completedBy: 'console-writer' })
  })

  it("tasks by owner: a CSM picked from the list sees exactly their open tasks, counted per playbook; narrowed to one playbook, the list keeps it through a reload", async () => {
    const { csms } = await graphql('{ csms }')
    const csm: string = csms[0]
    const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
    // Three playbooks for the CSM (some overdue), one done task that no longer counts, and a colleague's task.
    const task = (rule: string, n: number, assignee: string, dueInDays: number, status = 'open') => ({
      key: `${rule}/acct_p${n}/1/step/0`, rule_id: rule, task_id: 'step', occurrence: 0, account_id: `acct_p${n}`, title: `${rule} step for customer ${n}`,
      why: [`${rule} fired`], assignee, assignee_role: 'csm', status, opened_at: time(Date.now() - 5 * DAY), due_at: time(Date.now() + dueInDays * DAY),
      escalations: '[]', updated_at: time(Date.now() - 5 * DAY),
    })
    await clickhouse.insert({
      table: 'playbook_tasks', format: 'JSONEachRow',
      values: [
        task('renewal-prep', 1, csm, -2), task('renewal-prep', 2, csm, 3), task('renewal-prep', 3, csm, 10),
        task('onboarding-stalled', 4, csm, -1), task('at-risk', 5, csm, 4), task('at-risk', 6, csm, 6),
        task('renewal-prep', 7, csm, 1, 'done'), task('renewal-prep', 8, csms[1], -3),
      ],
    })
    type Node = { id: string; ruleId: string; overdue: boolean }
    const openTasks = async (ruleIds: string[] | null): Promise<Node[]> =>
      (await graphql('query($a: [String!], $r: [String!]) { tasks(filter: { statuses: [OPEN], assignees: $a, ruleIds: $r }, first: 100) { edges { node { id ruleId overdue } } } }', { a: [csm], r: ruleIds })).tasks.edges.map(
        (e: { node: Node }) => e.node,
      )
    const mine = await openTasks(null)
    const perPlaybook: Record<string, [number, number]> = {}
    for (const t of mine) {
      const [open, overdue] = perPlaybook[t.ruleId] ?? [0, 0]
      perPlaybook[t.ruleId] = [open + 1, overdue + (t.overdue ? 1 : 0)]
    }
    expect(perPlaybook).toMatchObject({ 'renewal-prep': [3, 1], 'onboarding-stalled': [1, 1], 'at-risk': [2, 0] })

    // Everyone's tasks first; the picker lists everyone and the CSMs, and picking one puts it in the URL.
    await page.goto(`${base}/console/#/tasks`)
    const table = page.getByRole('table', { name: 'Open tasks' })
    await table.locator('tbody tr').first().waitFor()
    const owner = page.getByRole('combobox', { name: 'Owner' })
    await expect.poll(() => owner.locator('option').allTextContents()).toEqual(['Everyone', ...csms])
    await owner.selectOption(csm)
    await expect.poll(() => page.url()).toContain(`assignee=${encodeURIComponent(csm)}`)
    const shownTasks = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')))
    await expect.poll(shownTasks).toEqual(mine.map((t) => t.id))

    // The summary: one row per playbook, its open and overdue tasks as GraphQL counts them.
    const summary = page.getByRole('table', { name: 'Tasks per playbook' })
    const shownCounts = () =>
      summary.locator('tbody tr').evaluateAll((rows) =>
        Object.fromEntries(rows.map((r) => [r.getAttribute('data-playbook'), [Number(r.querySelector('[data-field=open]')!.textContent), Number(r.querySelector('[data-field=overdue]')!.textContent)]])),
      )
    await expect.poll(shownCounts).toEqual(perPlaybook)
    await page.screenshot({ path: path.join(SHOTS, 'tasks.png'), fullPage: true })

    // One playbook: only its tasks, server-side (ruleIds), and the URL keeps it through a reload.
    const renewals = await openTasks(['renewal-prep'])
    await summary.getByRole('link', { name: 'renewal-prep' }).click()
    await expect.poll(() => page.url()).toContain('playbook=renewal-prep')
    await expect.poll(shownTasks).toEqual(renewals.map((t) => t.id))
    expect(renewals.length).toBe(3)
    await page.reload()
    await expect.poll(shownTasks).toEqual(renewals.map((t) => t.id))
    expect(await table.locator('tbody tr').evaluateAll((rows) => [...new Set(rows.map((r) => r.getAttribute('data-playbook')))])).toEqual(['renewal-prep'])
    expect(await page.getByRole('combobox', { name: 'Owner' }).inputValue()).toBe(csm)
    expect(await page.getByRole('combobox', { name: 'Playbook' }).inputValue()).toBe('renewal-prep')
    // The summary still lists every playbook of the owner, the chosen one marked; "All playbooks" widens the list again.
    await expect.poll(shownCounts).toEqual(perPlaybook)
    expect(await summary.getByRole('link', { name: 'renewal-prep' }).getAttribute('aria-current')).toBe('true')
    await summary.getByRole('link', { name: 'All playbooks' }).click()
    await expect.poll(() => page.url()).not.toContain('playbook=')
    await expect.poll(shownTasks).toEqual(mine.map((t) => t.id))
  })

  it('schema drift lists a refused event\'s path and source; the model page says plainly that no model is trained', async () => {
    const time = new Date(Date.now() - 60_000).toISOString().replace('T', ' ').replace('Z', '')
    await clickhouse.insert({
      table: 'schema_drift', format: 'JSONEachRow',
      values: [{ time, subject: 'invoice_paid', version: 1, kind: 'type_mismatch', path: '$.amountCents', expected: 'long', actual: 'string', source: 'billing-service', sample: '{"amountCents":"<string>"}', count: 7 }],
    })
    await page.goto(`${base}/console/#/drift`)
    const table = page.getByRole('table', { name: 'Refused events' })
    await table.waitFor()
    const row = table.locator('tr[data-path="$.amountCents"]')
    await expect.poll(() => row.textContent()).toContain('billing-service')
    expect(await row.textContent()).toContain('invoice_paid v1')
    await page.screenshot({ path: path.join(SHOTS, 'drift.png'), fullPage: true })
    await page.goto(`${base}/console/#/model`)
    await page.getByText('No churn model has been trained yet').waitFor()
  })

  it('moves through the accounts with the keyboard, shows an alert as it fires, and fits a tablet\'s width', async () => {
    await page.goto(`${base}/console/#/accounts?order=SCORE%3AASC`)
    const table = page.getByRole('table', { name: 'Accounts', exact: true })
    await table.waitFor()
    const links = table.locator('tbody th a')
    await links.first().focus()
    await page.keyboard.press('j')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('k')
    const second = await table.locator('tbody tr').nth(1).getAttribute('data-account')
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-account'))).toBe(second)
    await page.keyboard.press('Enter')
    await expect.poll(() => page.url()).toContain(`#/account?id=${second}`)

    // The URL moves before the page does: the account page is there once the table's score cells give way to its one score.
    await expect.poll(() => page.locator('[data-field=score]').count()).toBe(1)
    // A rule fires somewhere: the banner says so on whatever page is open, with a link to the account.
    await new Promise((r) => setTimeout(r, 300)) // the socket's subscription lands in Redis
    await scoring.events.publishAlert({
      type: 'alert', key: 'score-below-40/acct_x/1', ruleId: 'score-below-40', ruleName: 'Health score below 40', target: { type: 'account', accountId: 'acct_sim3_00007' },
      severity: 'critical', title: 'Health score dropped below 40', why: ['score 35, below 40'], to: 'csm_1', toRole: 'csm', channels: [], firedAt: Date.now(),
    })
    const banner = page.locator('[data-alert="score-below-40/acct_x/1"]')
    await banner.waitFor()
    expect(await banner.textContent()).toContain('score 35, below 40')
    await banner.getByRole('link', { name: 'acct_sim3_00007' }).waitFor()
    await banner.getByRole('button', { name: 'Dismiss the alert' }).click()
    await banner.waitFor({ state: 'detached' })

    // Tablet width: nothing wider than the screen on any page.
    await page.setViewportSize({ width: 800, height: 1000 })
    for (const [hash, ready] of [
      ['#/portfolio', 'table[aria-label="Accounts by health tier"] tbody tr'],
      ['#/accounts', 'table[aria-label="Accounts"] tbody tr'],
      [`#/account?id=${second}`, '[data-field=score]'],
      ['#/tasks', 'table[aria-label="Tasks per playbook"] tbody tr'],
      ['#/drift?since=7d', 'tr[data-path="$.amountCents"]'],
      ['#/model', 'text=No churn model has been trained yet'],
    ]) {
      await page.goto(`${base}/console/${hash}`)
      await page.locator(ready).first().waitFor()
      expect({ hash, overflow: await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) }).toEqual({ hash, overflow: 0 })
    }
    await page.screenshot({ path: path.join(SHOTS, 'account-tablet.png'), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  it('passes an automated accessibility audit (axe: WCAG 2 A/AA, color contrast, best practices) on every page, with data on it', async () => {
    // A trained model, READY on this portfolio, so the model page (backtest, reliability chart and table) and the
    // account's churn section have figures to show too. It has about a dozen held-out churners; the backtest is
    // allowed with 5 so that a slightly different simulated history still gives the page its content.
    await trainAndPredict({ clickhouse, card: scoring.scorecard.card }, { horizonDays: 30, minTestChurnEvents: 5, bootstrapResamples: 100 })
    const problems: string[] = []
    /** axe on the page as it is now; each rule it breaks as "page: rule (impact) help — each element: what fails" (the first 5). */
    const audit = async (what: string) => {
      const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
      for (const v of violations) {
        const nodes = v.nodes.slice(0, 5).map((n) => `\n    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ')}`)
        problems.push(`${what}: ${v.id} (${v.impact}) ${v.help}, ${v.nodes.length} element(s) — ${v.helpUrl}${nodes.join('')}${v.nodes.length > 5 ? '\n    …' : ''}`)
      }
    }
    const { accounts } = await graphql('{ accounts(filter: { tiers: ["At-risk", "Critical"] }, orderBy: { field: CHURN_RISK, direction: DESC }, first: 1) { edges { node { id } } } }')
    const id = accounts.edges[0].node.id

    // Signed out: the key gate; a key the API refuses; the gate again, saying why.
    const signedOut = page
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.goto(`${base}/console/`)
    await page.getByLabel('API key').waitFor()
    await audit('key gate')
    await page.getByLabel('API key').fill('not-a-key-at-all')
    await page.getByRole('button', { name: 'Open the console' }).click()
    await page.getByRole('button', { name: 'Use another key' }).waitFor()
    await audit('portfolio (key refused)')
    await page.getByRole('button', { name: 'Use another key' }).click()
    await page.getByRole('alert').filter({ hasText: 'refused the key' }).waitFor()
    await audit('key gate (key refused)')
    await page.context().close()
    page = signedOut

    await page.goto(`${base}/console/#/portfolio`)
    await page.getByRole('table', { name: 'KPIs against targets' }).waitFor()
    await page.getByRole('img', { name: /Accounts per tier over time/ }).waitFor()
    await audit('portfolio')
    await page.goto(`${base}/console/#/accounts?order=CHURN_RISK%3ADESC`)
    await page.locator('table[aria-label="Accounts"] tbody tr svg.sparkline').first().waitFor()
    await audit('accounts')
    await page.goto(`${base}/console/#/account?id=${id}`)
    await page.locator('[data-field=score]').waitFor()
    await page.getByRole('img', { name: /Daily active users/ }).waitFor()
    // With an alert banner on it (each severity has its own colors).
    await new Promise((r) => setTimeout(r, 300)) // the socket's subscription lands in Redis
    for (const severity of ['critical', 'warning', 'info'] as const) {
      await scoring.events.publishAlert({
        type: 'alert', key: `audit-${severity}/${id}/1`, ruleId: 'audit', ruleName: 'Audit', target: { type: 'account', accountId: id },
        severity, title: `A ${severity} alert`, why: ['score 35, below 40'], to: 'csm_1', toRole: 'csm', channels: [], firedAt: Date.now(),
      })
      await page.locator(`[data-alert="audit-${severity}/${id}/1"]`).waitFor()
      await audit(`account 360 (${severity} alert)`)
    }
    await page.getByRole('button', { name: 'Dismiss the alert' }).click()
    await page.goto(`${base}/console/#/tasks`)
    await page.getByRole('table', { name: 'Open tasks' }).locator('tbody tr').first().waitFor()
    await page.getByRole('table', { name: 'Tasks per playbook' }).locator('tbody tr').first().waitFor()
    await page.getByRole('table', { name: 'Open tasks' }).locator('tbody tr').first().getByRole('button', { name: 'Snooze a week' }).click()
    await page.getByRole('status').filter({ hasText: /Snoozed|Not done/ }).waitFor()
    await audit('tasks')
    // One CSM's tasks narrowed to a playbook: the chosen playbook's row is marked in the summary.
    const { csms } = await graphql('{ csms }')
    const { tasks: csmTasks } = await graphql('query($a: [String!]) { tasks(filter: { statuses: [OPEN], assignees: $a }, first: 1) { edges { node { ruleId } } } }', { a: [csms[0]] })
    await page.goto(`${base}/console/#/tasks?assignee=${encodeURIComponent(csms[0])}&playbook=${encodeURIComponent(csmTasks.edges[0].node.ruleId)}`)
    await page.getByRole('table', { name: 'Open tasks' }).locator('tbody tr').first().waitFor()
    await page.getByRole('table', { name: 'Tasks per playbook' }).locator('tr.chosen').waitFor()
    await audit('tasks (a CSM, one playbook)')
    await page.goto(`${base}/console/#/drift?since=7d`)
    await page.locator('tr[data-path="$.amountCents"]').waitFor()
    await page.locator('table[aria-label="Event catalog"], p.state-error').waitFor()
    await audit('drift')
    await page.goto(`${base}/console/#/model`)
    const status = page.locator('[data-status]')
    await status.waitFor()
    expect(await status.getAttribute('data-status'), (await page.locator('section[aria-labelledby="model-title"]').textContent()) ?? '').toBe('READY')
    // The reliability chart drawn (uPlot's canvas in the described figure), its figures also in the table under it.
    const reliability = page.getByRole('img', { name: /^Reliability chart: observed churn rate against predicted churn probability/ })
    await reliability.locator('canvas').waitFor()
    const bins = await page.getByRole('table', { name: /Reliability/ }).locator('tbody tr').count()
    expect(bins).toBeGreaterThan(1)
    expect(await reliability.getAttribute('aria-label')).toContain(`in ${bins} bins`)
    await page.screenshot({ path: path.join(SHOTS, 'model.png'), fullPage: true })
    await audit('model')

    // Empty states: each says so in words, with the way back, and passes the same audit.
    await page.goto(`${base}/console/#/accounts?q=no-such-account-anywhere`)
    await page.locator('p.state-empty').filter({ hasText: 'No account matches these filters' }).getByRole('link', { name: 'Show every account' }).waitFor()
    await audit('accounts (filtered to nothing)')
    await page.goto(`${base}/console/#/tasks?assignee=csm_nobody`)
    await page.locator('p.state-empty').filter({ hasText: 'No open tasks for csm_nobody' }).getByRole('link', { name: 'Everyone’s open tasks' }).waitFor()
    await audit('tasks (an owner with none)')
    // The drift test's refused event is a minute old: ten seconds back, nothing was refused.
    await page.goto(`${base}/console/#/drift?since=10s`)
    await page.locator('p.state-empty').filter({ hasText: 'Nothing refused in the last 10s' }).waitFor()
    await page.locator('table[aria-label="Event catalog"], p.state-error').waitFor()
    await audit('drift (nothing in the window)')
    expect(problems, `axe found ${problems.length} violations:\n${problems.join('\n')}\n`).toEqual([])
  })
})
