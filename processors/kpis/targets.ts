/** Pure: the metric sheet's targets as operators write them (PULSE_KPI_TARGETS, `pulse report metrics --targets`). */
import { DEFAULT_TARGETS, type KpiTargets } from './formulas.js'

export const TARGET_NAMES: Record<string, keyof KpiTargets> = { nps: 'nps', csat: 'csatAverage', ttv: 'timeToValueDays', adoption: 'adoptionRate', expansion: 'expansionRate', nrr: 'netRevenueRetention' }

/** Pure: "nps=40,csat=4.2,ttv=5,adoption=0.7,expansion=0.25,nrr=1.05" over the defaults of 004's sheet. */
export function parseTargets(text: string | undefined): KpiTargets {
  const targets = { ...DEFAULT_TARGETS }
  if (!text) return targets
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=')
    const name = TARGET_NAMES[key?.trim()]
    const n = Number(value)
    if (!name) throw new Error(`targets: unknown metric "${key}" in "${part}"; use ${Object.keys(TARGET_NAMES).join(', ')}`)
    if (value === undefined || value.trim() === '' || !Number.isFinite(n)) throw new Error(`targets: ${key} needs a number, got "${part}"`)
    targets[name] = n
  }
  return targets
}

