/** Accounts per tier at the end of each bucket, one line per tier (uPlot: small, fast, canvas). */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface TierPoint {
  at: string
  tier: string
  accounts: number
}

const COLORS: Record<string, string> = { Healthy: '#1a7f37', Stable: '#0969da', 'At-risk': '#bf8700', Critical: '#cf222e' }

export function TierTrendChart({ points, tiers }: { points: TierPoint[]; tiers: string[] }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current) return
    const times = [...new Set(points.map((p) => p.at))].sort()
    const series = tiers.map((tier) => times.map((at) => points.find((p) => p.at === at && p.tier === tier)?.accounts ?? 0))
    const chart = new uPlot(
      {
        width: Math.max(320, host.current.clientWidth),
        height: 220,
        series: [{}, ...tiers.map((tier) => ({ label: tier, stroke: COLORS[tier] ?? '#57606a', width: 2 }))],
        axes: [{}, { label: 'accounts' }],
      },
      [times.map((t) => Date.parse(t) / 1000), ...series],
      host.current,
    )
    return () => chart.destroy()
  }, [points, tiers])
  return <div ref={host} class="chart" role="img" aria-label={`Accounts per tier over time: ${tiers.join(', ')}`} />
}
