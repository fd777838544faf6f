/** Accounts: a dense table, filtered and ordered from the URL (so a view can be saved), a page at a time. */
import type { Connection } from '../api.js'
import { useCsms } from '../components/csm-options.js'
import { Pager } from '../components/pager.js'
import { Sparkline } from '../components/sparkline.js'
import { Empty, Failure, Loading, TierBadge } from '../components/states.js'
import { day, money, percent, signed } from '../format.js'
import { href } from '../route.js'
import { useShownMark } from '../use-after-paint.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Accounts($filter: AccountFilter, $orderBy: AccountOrder, $after: String) {
  accounts(filter: $filter, orderBy: $orderBy, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id
      profile { name segment csmId mrrCents currency renewalDate }
      healthScore { score tier trend { change30d } drivers { text } }
      dailyScores(days: 30)
      churnRisk { probability }
    } }
  }
}`

interface AccountRow {
  id: string
  profile: { name: string | null; segment: string | null; csmId: string | null; mrrCents: number | null; currency: string | null; renewalDate: string | null } | null
  healthScore: { score: number | null; tier: string | null; trend: { change30d: number | null }; drivers: { text: string }[] } | null
  dailyScores: (number | null)[]
  churnRisk: { probability: number | null } | null
}

const ORDERS: [string, string][] = [
  ['ID:ASC', 'Account'],
  ['SCORE:ASC', 'Score, lowest first'],
  ['SCORE_CHANGE:ASC', 'Biggest drop'],
  ['CHURN_RISK:DESC', 'Churn risk, highest first'],
  ['REVENUE_AT_RISK:DESC', 'Revenue at risk'],
  ['MRR:DESC', 'MRR, highest first'],
  ['RENEWAL_DATE:ASC', 'Renewal, soonest first'],
]

export function AccountsPage({ apiKey, params, onKeyProblem }: { apiKey: string; params: URLSearchParams; onKeyProblem: () => void }) {
  const tier = params.get('tier')
  const segment = params.get('segment')
  const csm = params.get('csm')
  const search = params.get('q')
  const order = params.get('order') ?? 'ID:ASC'
  const [field, direction] = order.split(':')
  const filter = { tiers: tier ? [tier] : null, segments: segment ? [segment] : null, csmIds: csm ? [csm] : null, search: search || null }
  const q = useQuery<{ accounts: Connection<AccountRow> }>(apiKey, QUERY, { filter, orderBy: { field, direction }, after: params.get('after') })
  // The CSM list after the rows are on screen: the rows matter first, and on two cores the two requests slow each other.
  const csms = useCsms(apiKey, csm, useShownMark('accounts', q.status !== 'loading'))
  const link = (change: Record<string, string | null>) => href('accounts', { tier, segment, csm, q: search, order, ...change })
  return (
    <section aria-labelledby="accounts-title">
      <h1 id="accounts-title">Accounts</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault()
          const data = new FormData(e.currentTarget as HTMLFormElement)
          location.hash = link({ tier: String(data.get('tier') || ''), segment: String(data.get('segment') || ''), csm: String(data.get('csm') || ''), q: String(data.get('q') || ''), order: String(data.get('order')), after: null })
        }}
      >
        <label>
          Tier
          <select name="tier" value={tier ?? ''}>
            <option value="">Any</option>
            {['Healthy', 'Stable', 'At-risk', 'Critical'].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Segment
          <select name="segment" value={segment ?? ''}>
            <option value="">Any</option>
            {['ENTERPRISE', 'MID_MARKET', 'SMB', 'OTHER'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          CSM
          <select name="csm" value={csm ?? ''}>
            <option value="">Any</option>
            {csms.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input name="q" type="search" value={search ?? ''} placeholder="id or name" />
        </label>
        <label>
          Order
          <select name="order" value={order}>
            {ORDERS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {q.status === 'loading' && <Loading what="accounts" />}
      {q.status === 'error' && <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />}
      {q.status === 'ok' && (
        <AccountTable
          page={q.data.accounts}
          next={q.data.accounts.pageInfo.endCursor ? link({ after: q.data.accounts.pageInfo.endCursor }) : null}
          paged={params.has('after')}
          filtered={Boolean(tier || segment || csm || search)}
        />
      )}
    </section>
  )
}

/** j/k and the arrow keys move the focus between the rows' account links (Enter follows the link). */
function moveBetweenRows(e: KeyboardEvent) {
  const step = e.key === 'j' || e.key === 'ArrowDown' ? 1 : e.key === 'k' || e.key === 'ArrowUp' ? -1 : 0
  if (!step) return
  const links = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLAnchorElement>('tbody th a')]
  const at = links.indexOf(document.activeElement as HTMLAnchorElement)
  const next = links[at === -1 ? 0 : Math.min(links.length - 1, Math.max(0, at + step))]
  if (next) {
    e.preventDefault()
    next.focus()
  }
}

function AccountTable({ page, next, paged, filtered }: { page: Connection<AccountRow>; next: string | null; paged: boolean; filtered: boolean }) {
  if (!page.edges.length) return <NoAccounts filtered={filtered} />
  return (
    <>
      <p class="muted" aria-live="polite">
        {page.totalCount?.toLocaleString()} accounts{paged ? ' (a later page)' : ''}
      </p>
      <p class="muted small">Keys: j / k or ↓ / ↑ move between accounts, Enter opens one.</p>
      <table class="data dense" aria-label="Accounts" onKeyDown={moveBetweenRows}>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Tier</th>
            <th scope="col" class="num">Score</th>
            <th scope="col" class="num">30 d</th>
            <th scope="col">Last 30 days</th>
            <th scope="col" class="num">Churn risk</th>
            <th scope="col" class="num">MRR</th>
            <th scope="col">Renewal</th>
            <th scope="col">CSM</th>
            <th scope="col">Top driver</th>
          </tr>
        </thead>
        <tbody>
          {page.edges.map(({ node: a }) => (
            <tr key={a.id} data-account={a.id}>
              <th scope="row">
                <a href={href('account', { id: a.id })}>{a.profile?.name ?? a.id}</a>
              </th>
              <td>
                <TierBadge tier={a.healthScore?.tier ?? null} />
              </td>
              <td class="num" data-field="score">{a.healthScore?.score ?? '—'}</td>
              <td class="num">{signed(a.healthScore?.trend.change30d)}</td>
              <td>
                <Sparkline scores={a.dailyScores} label={`Score over the last 30 days: ${a.dailyScores.filter((s) => s != null).join(', ')}`} />
              </td>
              <td class="num">{percent(a.churnRisk?.probability)}</td>
              <td class="num">{money(a.profile?.mrrCents, a.profile?.currency ?? 'USD')}</td>
              <td>{day(a.profile?.renewalDate)}</td>
              <td>{a.profile?.csmId ?? '—'}</td>
              <td class="driver">{a.healthScore?.drivers[0]?.text ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager label="Pages of accounts" paged={paged} next={page.pageInfo.hasNextPage ? next : null} />
    </>
  )
}

/** Nothing to list: a filter that matches no account says so and offers the way back; an empty Pulse says how accounts arrive. */
function NoAccounts({ filtered }: { filtered: boolean }) {
  if (!filtered) return <Empty>No accounts yet: an account appears here with its first event.</Empty>
  return (
    <Empty>
      No account matches these filters. <a href={href('accounts')}>Show every account</a>
    </Empty>
  )
}
