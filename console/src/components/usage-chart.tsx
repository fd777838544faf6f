/** Daily active users and logins over the last 30 days (uPlot bars and line). */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface UsageDay {
  day: string
  activeUsers: number
  logins: number
}

export function UsageChart({ days }: { days: UsageDay[] }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current || !days.length) return
    const chart = new uPlot(
      {
        width: Math.max(320, host.current.clientWidth),
        height: 160,
        series: [{}, { label: 'active users', stroke: '#1a7f37', width: 2 }, { label: 'logins', stroke: '#8c959f', width: 1, dash: [4, 4] }],
        axes: [{}, {}],
      },
      [days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000), days.map((d) => d.activeUsers), days.map((d) => d.logins)],
      host.current,
    )
    return () => chart.destroy()
  }, [days])
  return <div ref={host} class="chart" role="img" aria-label={`Daily active users and logins, ${days.length} days`} />
}
