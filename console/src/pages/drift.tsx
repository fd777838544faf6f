/** Schema drift, for the engineers who own the producers: what the gateway refused, by event, kind, path and source; and the catalog. */
import { Empty, Failure, Loading } from '../components/states.js'
import { href } from '../route.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Drift($since: String!) {
  driftReport(since: $since) { subject version kind path expected actual source events firstSeen lastSeen sample }
}`

const CATALOG = `query Catalog { schemas { subject versions compatibility } }`

interface DriftRow {
  subject: string
  version: number
  kind: string
  path: string
  expected: string
  actual: string
  source: string
  events: number
  firstSeen: string
  lastSeen: string
  sample: string
}

export function DriftPage({ apiKey, params, onKeyProblem }: { apiKey: string; params: URLSearchParams; onKeyProblem: () => void }) {
  const since = params.get('since') ?? '24h'
  const q = useQuery<{ driftReport: DriftRow[] }>(apiKey, QUERY, { since })
  const catalog = useQuery<{ schemas: { subject: string; versions: number[]; compatibility: string }[] }>(apiKey, CATALOG, {})
  return (
    <section aria-labelledby="drift-title">
      <h1 id="drift-title">Schema drift</h1>
      <nav class="filters" aria-label="Window">
        {['1h', '24h', '7d', '30d'].map((w) => (
          <a key={w} href={href('drift', { since: w })} aria-current={w === since ? 'true' : undefined}>
            last {w}
          </a>
        ))}
      </nav>
      {q.status === 'loading' && <Loading what="the drift report" />}
      {q.status === 'error' && <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />}
      {q.status === 'ok' &&
        (q.data.driftReport.length === 0 ? (
          <Empty>Nothing refused in the last {since}: every producer sends what its schema says.</Empty>
        ) : (
          // Nine columns do not fit a tablet: the table scrolls within its own region (focusable, so the keyboard
          // can scroll it too), not the page.
          <div class="table-scroll" role="region" aria-label="Refused events (scrolls sideways)" tabIndex={0}>
          <table class="data dense" aria-label="Refused events">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Kind</th>
                <th scope="col">Path</th>
                <th scope="col">Expected</th>
                <th scope="col">Sent</th>
                <th scope="col">Source</th>
                <th scope="col" class="num">Events</th>
                <th scope="col">First / last seen</th>
                <th scope="col">Sample (values redacted)</th>
              </tr>
            </thead>
            <tbody>
              {q.data.driftReport.map((d) => (
                <tr key={`${d.subject}|${d.kind}|${d.path}|${d.source}|${d.version}`} data-path={d.path}>
                  <th scope="row">
                    {d.subject} v{d.version}
                  </th>
                  <td>{d.kind}</td>
                  <td>
                    <code>{d.path}</code>
                  </td>
                  <td>{d.expected}</td>
                  <td>{d.actual}</td>
                  <td>{d.source}</td>
                  <td class="num">{d.events.toLocaleString()}</td>
                  <td class="small">
                    {d.firstSeen.slice(0, 16).replace('T', ' ')} / {d.lastSeen.slice(0, 16).replace('T', ' ')}
                  </td>
                  <td class="small">
                    <code>{d.sample}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        ))}
      <h2>Catalog</h2>
      {catalog.status === 'loading' && <Loading what="the catalog" />}
      {catalog.status === 'error' && <p class="state-error">The catalog could not be read: {catalog.error.message}</p>}
      {catalog.status === 'ok' && (
        <table class="data dense" aria-label="Event catalog">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Versions</th>
              <th scope="col">Compatibility</th>
            </tr>
          </thead>
          <tbody>
            {catalog.data.schemas.map((s) => (
              <tr key={s.subject}>
                <th scope="row">{s.subject}</th>
                <td>{s.versions.join(', ')}</td>
                <td>{s.compatibility}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
