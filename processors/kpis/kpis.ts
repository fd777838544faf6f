/** Pure: accounts' KPI inputs summed into groups (the portfolio, a segment, a CSM's book, one account). */
import { addInputs, emptyInputs, kpis, type KpiInputs, type Kpis } from './formulas.js'
import type { AccountKpiInputs } from './kpi-inputs.js'

export type KpiGrouping = 'PORTFOLIO' | 'SEGMENT' | 'CSM' | 'ACCOUNT'

export interface KpiGroup extends Kpis {
  /** The segment, CSM id or account id; "portfolio" for the whole. */
  key: string
  accounts: number
}

/** The group key of an account: its segment or CSM from the profile (UNKNOWN / UNASSIGNED without one). */
export interface AccountAttributes {
  segment: string | null
  csmId: string | null
}

export function groupKpis(inputs: AccountKpiInputs[], grouping: KpiGrouping, attributes: Map<string, AccountAttributes>): KpiGroup[] {
  const keyOf = (a: AccountKpiInputs): string => {
    switch (grouping) {
      case 'PORTFOLIO':
        return 'portfolio'
      case 'ACCOUNT':
        return a.accountId
      case 'SEGMENT':
        return attributes.get(a.accountId)?.segment ?? 'UNKNOWN'
      case 'CSM':
        return attributes.get(a.accountId)?.csmId ?? 'UNASSIGNED'
    }
  }
  const groups = new Map<string, { inputs: KpiInputs; accounts: number }>()
  for (const a of inputs) {
    const key = keyOf(a)
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { inputs: emptyInputs(), accounts: 0 }))
    addInputs(g.inputs, a)
    g.accounts++
  }
  if (grouping === 'PORTFOLIO' && !groups.size) groups.set('portfolio', { inputs: emptyInputs(), accounts: 0 })
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, g]) => ({ key, accounts: g.accounts, ...kpis(g.inputs) }))
}
