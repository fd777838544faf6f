/** Asks for an API key (read, plus write for task actions) when none is stored or the API refused it. */
import { useState } from 'preact/hooks'

export function KeyGate({ reason, onKey }: { reason: string | null; onKey: (key: string) => void }) {
  const [value, setValue] = useState('')
  return (
    <main class="key-gate">
      <h1>Pulse</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (value.trim()) onKey(value.trim())
        }}
      >
        <label for="api-key">API key</label>
        <p id="api-key-help" class="help">
          A key with the <code>read</code> scope (and <code>write</code> to act on tasks). <code>pulse dev</code> prints a link that signs you in;
          otherwise create one with <code>pulse keys create console --scopes read+write</code>.
        </p>
        {reason && (
          <p class="state-error" role="alert">
            {reason}
          </p>
        )}
        <input id="api-key" type="password" autocomplete="off" aria-describedby="api-key-help" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button type="submit">Open the console</button>
      </form>
    </main>
  )
}
