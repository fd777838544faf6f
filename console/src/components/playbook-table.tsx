/** The Tasks page's summary: open and overdue tasks per playbook, each playbook a link that narrows the list to it. */
import type { PlaybookCounts } from '../playbook-counts.js'

export function PlaybookTable({ counts, chosen, link }: { counts: PlaybookCounts; chosen: string | null; link: (ruleId: string | null) => string }) {
  const { playbooks, counted, total } = counts
  const sum = (field: 'open' | 'overdue') => playbooks.reduce((n, p) => n + p[field], 0)
  return (
    <>
      {/* Named apart from the list ("Open tasks"), so neither name contains the other. */}
      <table class="data dense narrow playbooks" aria-label="Tasks per playbook">
        <caption class="muted small">
          Open and overdue tasks per playbook (the rule that opened them); choose one to list only its tasks.
        </caption>
        <thead>
          <tr>
            <th scope="col">Playbook</th>
            <th scope="col" class="num">Open</th>
            <th scope="col" class="num">Overdue</th>
          </tr>
        </thead>
        <tbody>
          {playbooks.map((p) => (
            <tr key={p.ruleId} data-playbook={p.ruleId} class={p.ruleId === chosen ? 'chosen' : ''}>
              <th scope="row">
                <a href={link(p.ruleId)} aria-current={p.ruleId === chosen ? 'true' : undefined}>
                  {p.ruleId}
                </a>
              </th>
              <td class="num" data-field="open">{p.open.toLocaleString('en')}</td>
              <td class={`num${p.overdue ? ' overdue' : ''}`} data-field="overdue">{p.overdue.toLocaleString('en')}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{chosen ? <a href={link(null)}>All playbooks</a> : 'All playbooks'}</th>
            <td class="num">{sum('open').toLocaleString('en')}</td>
            <td class="num">{sum('overdue').toLocaleString('en')}</td>
          </tr>
        </tfoot>
      </table>
      {counted < total && (
        <p class="muted small">
          Counted from the first {counted.toLocaleString('en')} of {total.toLocaleString('en')} open tasks.
        </p>
      )}
    </>
  )
}
