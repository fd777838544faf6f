/**
 * The churn model's reliability diagram (uPlot): for each bin of held-out accounts, the mean predicted churn
 * probability (x) against the share that churned (y), beside the diagonal where the two would be equal.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { percent } from '../format.js'

export interface ReliabilityBin {
  predicted: number
  observed: number
  accounts: number
}

/**
 * Both axes run from 0 to the same top, so the diagonal joins the corners; the top is the largest figure rounded up
 * to a tenth, because a model's probabilities rarely reach 100 % and a full 0–1 square would crowd every point
 * into one corner.
 */
function axisTop(bins: ReliabilityBin[]): number {
  const largest = Math.max(0, ...bins.flatMap((b) => [b.predicted, b.observed]))
  return Math.min(1, Math.max(0.1, Math.ceil(largest * 10 - 1e-9) / 10))
}

function describeReliability(bins: ReliabilityBin[]): string {
  return `Reliability chart: observed churn rate against predicted churn probability in ${bins.length} bins of held-out accounts, beside the perfect-calibration diagonal. The table below lists the same figures.`
}

export function ReliabilityChart({ bins }: { bins: ReliabilityBin[] }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current || !bins.length) return
    const sorted = [...bins].sort((a, b) => a.predicted - b.predicted)
    const top = axisTop(sorted)
    // uPlot shares one x array between series: the diagonal's two ends plus each bin's predicted probability.
    const xs = [0, ...sorted.map((b) => b.predicted), top]
    const shown = (_u: uPlot, v: number | null) => (v == null ? '—' : percent(v, 1))
    const ticks = (_u: uPlot, splits: number[]) => splits.map((v) => percent(v))
    const chart = new uPlot(
      {
        // Wide enough for the three-entry legend on one line; the diagonal runs corner to corner at any aspect.
        width: Math.min(560, Math.max(320, host.current.clientWidth)),
        height: 340,
        scales: { x: { time: false, range: [0, top] }, y: { range: [0, top] } },
        series: [
          { label: 'predicted', value: shown },
          { label: 'perfect calibration', stroke: '#8c959f', width: 1, dash: [5, 5], points: { show: false }, value: shown },
          { label: 'observed', stroke: '#0969da', width: 2, points: { show: true, size: 8, fill: '#0969da' }, value: shown },
        ],
        axes: [
          { label: 'predicted churn probability', values: ticks },
          { label: 'observed churn rate', values: ticks },
        ],
      },
      [xs, xs, [null, ...sorted.map((b) => b.observed), null]],
      host.current,
    )
    return () => chart.destroy()
  }, [bins])
  return <div ref={host} class="chart reliability" role="img" aria-label={describeReliability(bins)} />
}
