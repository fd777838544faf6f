/** The console: a key gate, then the pages, each reading the public GraphQL API. */
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { AlertBanner } from './components/alert-banner.js'
import { KeyGate } from './components/key-gate.js'
import { forgetKey, storedKey, storeKey, takeKeyFromLocation } from './key.js'
import { AccountPage } from './pages/account.js'
import { AccountsPage } from './pages/accounts.js'
import { DriftPage } from './pages/drift.js'
import { ModelPage } from './pages/model.js'
import { PortfolioPage } from './pages/portfolio.js'
import { TasksPage } from './pages/tasks.js'
import { href, useRoute } from './route.js'
import './style.css'

const PAGES = [
  ['portfolio', 'Portfolio'],
  ['accounts', 'Accounts'],
  ['tasks', 'Tasks'],
  ['drift', 'Schema drift'],
  ['model', 'Churn model'],
] as const

function App() {
  const [key, setKey] = useState(storedKey)
  const [reason, setReason] = useState<string | null>(null)
  const route = useRoute()
  useEffect(() => {
    const onHash = () => {
      const handed = takeKeyFromLocation()
      if (handed) {
        setReason(null)
        setKey(handed)
      }
    }
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])
  if (!key) {
    return (
      <KeyGate
        reason={reason}
        onKey={(k) => {
          storeKey(k)
          setReason(null)
          setKey(k)
        }}
      />
    )
  }
  const onKeyProblem = () => {
    forgetKey()
    setReason('The API refused the key: paste one with the read scope.')
    setKey(null)
  }
  return (
    <>
      <header class="top">
        <a class="brand" href={href('portfolio')}>
          Pulse
        </a>
        <nav aria-label="Pages">
          {PAGES.map(([page, label]) => (
            <a key={page} href={href(page)} aria-current={route.page === page ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={onKeyProblem}>
          Change key
        </button>
      </header>
      <AlertBanner apiKey={key} />
      <main>
        {route.page === 'accounts' ? (
          <AccountsPage apiKey={key} params={route.params} onKeyProblem={onKeyProblem} />
        ) : route.page === 'tasks' ? (
          <TasksPage apiKey={key} params={route.params} onKeyProblem={onKeyProblem} />
        ) : route.page === 'drift' ? (
          <DriftPage apiKey={key} params={route.params} onKeyProblem={onKeyProblem} />
        ) : route.page === 'model' ? (
          <ModelPage apiKey={key} onKeyProblem={onKeyProblem} />
        ) : route.page === 'account' && route.params.get('id') ? (
          <AccountPage apiKey={key} id={route.params.get('id')!} onKeyProblem={onKeyProblem} />
        ) : (
          <PortfolioPage apiKey={key} params={route.params} onKeyProblem={onKeyProblem} />
        )}
      </main>
    </>
  )
}

takeKeyFromLocation()
render(<App />, document.getElementById('app')!)
