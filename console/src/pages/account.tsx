/** Account 360: the score, why it is what it is and how it moved, churn risk, contract, adoption, tickets, tasks and raw events — live. */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import { ScoreHistoryChart } from '../components/score-history-chart.js'
import { UsageChart } from '../components/usage-chart.js'
import { Empty, Failure, Loading, TierBadge } from '../components/states.js'
import { day, money, percent, signed } from '../format.js'
import { useSubscription } from '../live.js'
import { href } from '../route.js'
import { useShownMark } from '../use-after-paint.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Account360($id: ID!) {
  account(id: $id) {
    id
    profile { name segment industry csmId plan mrrCents currency termMonths renewalDate autoRenew subscriptionStatus seatsPurchased seatsActive lastActivity lastCsmTouch lastCsmTouchBy latestNps latestCsat unpaidInvoices openTickets { ticketId severity } }
    healthScore { score tier status coverage asOf trend { change7d change30d direction } components { name label points maxPoints weight value } drivers { text } nextTier { tier pointsNeeded actions { text } } missing }
    daysInTier
    healthHistory { asOf score tier }
    churnRisk { status probability revenueAtRisk horizonDays reason baseRate drivers { description contribution } }
    timeline(first: 15) { edges { node { event timestamp source userId } } }
    usage { day activeUsers logins }
    csmActivity(first: 5) { at csmId activity notes }
  }
  tasks(filter: { accountIds: [$id], statuses: [OPEN] }, first: 20) { edges { node { id title assignee dueAt overdue } } }
  alerts(filter: { accountIds: [$id] }, first: 10) { edges { node { id title severity firedAt why } } }
}`

type Data = { account: any; tasks: { edges: { node: any }[] }; alerts: { edges: { node: any }[] } }

export function AccountPage({ apiKey, id, onKeyProblem }: { apiKey: string; id: string; onKeyProblem: () => void }) {
  const q = useQuery<Data>(apiKey, QUERY, { id })
  useShownMark('account', q.status === 'ok')
  const [pushes, setPushes] = useState(0)
  // A new score for this account (an event arrived, a sweep): read the page again.
  useSubscription<{ healthScoreChanged: { score: number | null } }>(apiKey, 'subscription($id: ID) { healthScoreChanged(accountId: $id) { score } }', { id }, () => {
    setPushes((n) => n + 1)
    q.reload()
  })
  // Until there is an account to show, the heading is its id: the page always says what it is.
  const pending = (state: JSX.Element) => (
    <article aria-labelledby="account-title" class="account">
      <h1 id="account-title">Account {id}</h1>
      {state}
    </article>
  )
  if (q.status === 'loading') return pending(<Loading what={`account ${id}`} />)
  if (q.status === 'error') return pending(<Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />)
  const { account: a, tasks, alerts } = q.data
  const p = a.profile
  const s = a.healthScore
  if (!p && !s) return pending(<Empty>No events stored for account “{id}” yet.</Empty>)
  return (
    <article aria-labelledby="account-title" class="account">
      <p>
        <a href={href('accounts')}>← Accounts</a>
      </p>
      <h1 id="account-title">
        {p?.name ?? a.id} <TierBadge tier={s?.tier ?? null} />
      </h1>
      <p class="muted">
        {[a.id, p?.segment, p?.industry, p?.csmId && `CSM ${p.csmId}`].filter(Boolean).join(' · ')}
        {pushes > 0 && <span class="live" aria-live="polite"> · updated live</span>}
      </p>
      <div class="grid">
        <section aria-labelledby="score-title">
          <h2 id="score-title">Health score</h2>
          <p class="big" data-field="score">
            {s?.score ?? '—'}
          </p>
          <p class="muted">
            {s ? `${s.status}, ${percent(s.coverage)} of the weight backed by data; 7 days ${signed(s.trend.change7d)}, 30 days ${signed(s.trend.change30d)}` : 'Not scored yet.'}
            {a.daysInTier != null && ` · ${a.daysInTier} days in ${s?.tier}`}
          </p>
          {a.healthHistory.length > 1 && <ScoreHistoryChart points={a.healthHistory} />}
          {s?.drivers.length > 0 && (
            <>
              <h3>Why</h3>
              <ul>
                {s.drivers.map((d: { text: string }) => (
                  <li key={d.text}>{d.text}</li>
                ))}
              </ul>
            </>
          )}
          {s?.nextTier && (
            <p>
              {s.nextTier.pointsNeeded} points to {s.nextTier.tier}
              {s.nextTier.actions[0] && `: ${s.nextTier.actions[0].text}`}
            </p>
          )}
          {s && (
            <table class="data dense" aria-label="Score components">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col">Rule</th>
                  <th scope="col" class="num">Points</th>
                  <th scope="col" class="num">Of</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {s.components.map((c: any) => (
                  <tr key={c.name}>
                    <th scope="row">{c.name}</th>
                    <td class="muted">{c.label ?? ''}</td>
                    <td class="num">{c.points == null ? '—' : c.points.toFixed(1)}</td>
                    <td class="num">{c.maxPoints.toFixed(1)}</td>
                    <td>{c.value == null ? 'no data' : String(c.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="churn-title">
          <h2 id="churn-title">Churn risk</h2>
          <ChurnRisk risk={a.churnRisk} />
          <h2>Contract</h2>
          <dl class="facts">
            <dt>Plan</dt>
            <dd>{p?.plan ?? '—'}</dd>
            <dt>MRR</dt>
            <dd>{money(p?.mrrCents, p?.currency ?? 'USD')}</dd>
            <dt>Renewal</dt>
            <dd>
              {day(p?.renewalDate)}
              {p?.autoRenew === false && ' (no auto-renew)'}
            </dd>
            <dt>Seats</dt>
            <dd>{p?.seatsPurchased != null ? `${p.seatsActive ?? 0} active of ${p.seatsPurchased}` : '—'}</dd>
            <dt>Open tickets</dt>
            <dd>{p?.openTickets.length ? p.openTickets.map((t: any) => `${t.ticketId} (${t.severity})`).join(', ') : 'none'}</dd>
            <dt>Last CSM touch</dt>
            <dd>{p?.lastCsmTouch ? `${day(p.lastCsmTouch)} by ${p.lastCsmTouchBy ?? '?'}` : '—'}</dd>
            <dt>NPS / CSAT</dt>
            <dd>
              {p?.latestNps ?? '—'} / {p?.latestCsat ?? '—'}
            </dd>
          </dl>
          <h2>CSM activity</h2>
          {a.csmActivity.length ? (
            <ul>
              {a.csmActivity.map((c: any) => (
                <li key={c.at}>
                  {day(c.at)} {c.activity.toLowerCase().replace(/_/g, ' ')} by {c.csmId}
                  {c.notes && <span class="muted"> — {c.notes}</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">None logged.</p>
          )}
          <h2>Open tasks</h2>
          {tasks.edges.length ? (
            <ul>
              {tasks.edges.map(({ node: t }) => (
                <li key={t.id} class={t.overdue ? 'overdue' : ''}>
                  {t.title} — {t.assignee ?? 'unassigned'}, due {day(t.dueAt)}
                  {t.overdue && ' (overdue)'}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">None.</p>
          )}
          <h2>Alerts</h2>
          {alerts.edges.length ? (
            <ul>
              {alerts.edges.map(({ node: al }) => (
                <li key={al.id}>
                  {day(al.firedAt)} [{al.severity}] {al.title}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">None.</p>
          )}
        </section>
      </div>
      <h2>Usage, last 30 days</h2>
      {a.usage.some((d: { activeUsers: number }) => d.activeUsers > 0) ? <UsageChart days={a.usage} /> : <p class="muted">No logins or feature use in the last 30 days.</p>}
      <h2>Latest events</h2>
      <table class="data dense" aria-label="Latest events">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Event</th>
            <th scope="col">User</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {a.timeline.edges.map(({ node: e }: any, i: number) => (
            <tr key={i}>
              <td>{e.timestamp.replace('T', ' ').slice(0, 19)}</td>
              <td>{e.event}</td>
              <td>{e.userId ?? ''}</td>
              <td class="muted">{e.source}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  )
}

function ChurnRisk({ risk }: { risk: any }) {
  if (!risk) return <p class="muted">No churn model has been trained yet.</p>
  if (risk.status !== 'READY' || risk.probability == null) {
    const why: Record<string, string> = {
      NO_SIGNAL: 'The history does not predict churn better than chance, so no probability is shown.',
      INSUFFICIENT_DATA: 'Not enough churn history yet to learn from.',
    }
    return (
      <p>
        {why[risk.status] ?? risk.reason ?? `Model status: ${risk.status}.`}
        {risk.baseRate != null && ` Portfolio base rate: ${percent(risk.baseRate, 1)} over ${risk.horizonDays} days.`}
      </p>
    )
  }
  return (
    <>
      <p class="big">{percent(risk.probability, 1)}</p>
      <p class="muted">
        of churning within {risk.horizonDays} days{risk.revenueAtRisk != null && ` · ${money(risk.revenueAtRisk * 100)} MRR at risk`}
      </p>
      <ul>
        {risk.drivers.slice(0, 4).map((d: any) => (
          <li key={d.description}>
            {d.description} ({signed(d.contribution * 100, 1)} pts)
          </li>
        ))}
      </ul>
    </>
  )
}
