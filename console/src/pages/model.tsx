/** The churn model: whether it is in force and why, how well it did on accounts it did not train on, and how calibrated it is. */
import { ReliabilityChart } from '../components/reliability-chart.js'
import { Empty, Failure, Loading } from '../components/states.js'
import { percent } from '../format.js'
import { useQuery } from '../use-query.js'

const QUERY = `query Model {
  churnModel {
    status reason version trainedAt horizonDays accounts snapshots churnEvents baseRate
    backtest { accounts churnEvents auc aucLow aucHigh brier calibrationError top10Precision top10Recall calibration { predicted observed accounts } }
    healthScoreBacktest { auc aucLow aucHigh }
    topDrivers { description coefficient }
  }
}`

const PLAIN: Record<string, string> = {
  READY: 'In force: its probabilities are calibrated and it beat chance on accounts it did not train on.',
  NO_SIGNAL: 'Not in force: on accounts it did not train on, it did no better than chance. Pulse shows no churn probabilities rather than made-up ones.',
  INSUFFICIENT_DATA: 'Not in force: there is not enough churn history yet to learn from and check on held-out accounts.',
}

/** The API's reason is a clause ("backtested on …: AUC …"); the page reads it as a sentence. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`

export function ModelPage({ apiKey, onKeyProblem }: { apiKey: string; onKeyProblem: () => void }) {
  const q = useQuery<{ churnModel: any }>(apiKey, QUERY, {})
  // The heading in every state: the page always says what it is.
  const heading = <h1 id="model-title">Churn model</h1>
  const m = q.status === 'ok' ? q.data.churnModel : null
  if (!m) {
    return (
      <section aria-labelledby="model-title">
        {heading}
        {q.status === 'loading' ? (
          <Loading what="the churn model" />
        ) : q.status === 'error' ? (
          <Failure error={q.error} retry={q.reload} onKeyProblem={onKeyProblem} />
        ) : (
          <Empty>No churn model has been trained yet. Training runs weekly, or now with “pulse churn train”.</Empty>
        )}
      </section>
    )
  }
  const b = m.backtest
  return (
    <section aria-labelledby="model-title">
      {heading}
      <p data-status={m.status}>
        <strong>{m.status.replace('_', ' ')}</strong> — {PLAIN[m.status] ?? m.reason}
      </p>
      <p class="muted">
        {sentence(m.reason)} Trained {m.trainedAt.slice(0, 10)} on {m.accounts.toLocaleString()} accounts ({m.churnEvents.toLocaleString()} churned) to predict churn within {m.horizonDays} days; base rate{' '}
        {percent(m.baseRate, 1)}.
      </p>
      {b && (
        <>
          <h2>Backtest on held-out accounts</h2>
          <dl class="facts">
            <dt>AUC</dt>
            <dd>
              {b.auc.toFixed(3)} (95 % {b.aucLow.toFixed(3)}–{b.aucHigh.toFixed(3)}); the health score alone: {m.healthScoreBacktest ? m.healthScoreBacktest.auc.toFixed(3) : '—'}
            </dd>
            <dt>Brier score</dt>
            <dd>{b.brier.toFixed(4)}</dd>
            <dt>Calibration error</dt>
            <dd>{percent(b.calibrationError, 1)}</dd>
            <dt>Top 10 %</dt>
            <dd>
              precision {percent(b.top10Precision)}, recall {percent(b.top10Recall)}
            </dd>
          </dl>
          <h3>Reliability</h3>
          <p class="muted">
            Each point is a bin of held-out accounts, lowest predicted risk first: how likely the model said churn was, against the share of them that churned. On the dashed diagonal,
            the probabilities came true exactly as often as they said; above it the model under-warned, below it it over-warned.
          </p>
          <ReliabilityChart bins={b.calibration} />
          <table class="data dense narrow" aria-label="Reliability: predicted against observed churn">
            <thead>
              <tr>
                <th scope="col" class="num">Predicted</th>
                <th scope="col" class="num">Observed</th>
                <th scope="col" class="num">Accounts</th>
              </tr>
            </thead>
            <tbody>
              {b.calibration.map((c: any, i: number) => (
                <tr key={i}>
                  <td class="num">{percent(c.predicted, 1)}</td>
                  <td class="num">{percent(c.observed, 1)}</td>
                  <td class="num">{c.accounts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {m.topDrivers.length > 0 && (
        <>
          <h2>What predicts churn here</h2>
          <ul>
            {m.topDrivers.map((d: any) => (
              <li key={d.description}>
                {d.description} ({d.coefficient > 0 ? 'raises' : 'lowers'} the risk)
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
