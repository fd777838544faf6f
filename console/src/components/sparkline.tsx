/**
 * A score's last days as a tiny line in a table cell. Plain SVG rather than uPlot: a page holds 50 of them,
 * and a canvas chart each would cost more than the table itself.
 */
export function Sparkline({ scores, label }: { scores: (number | null)[]; label: string }) {
  const points = scores.flatMap((s, i) => (s == null ? [] : [[i, s] as const]))
  if (points.length < 2) return <span class="muted small">—</span>
  const w = 80
  const h = 20
  // The account's own range (at least 10 points wide): a move of a few points must be visible in 20 pixels.
  const values = points.map(([, s]) => s)
  const mid = (Math.min(...values) + Math.max(...values)) / 2
  const half = Math.max(5, (Math.max(...values) - Math.min(...values)) / 2)
  const x = (i: number) => (i / (scores.length - 1)) * (w - 2) + 1
  const y = (s: number) => h - 1 - ((s - (mid - half)) / (2 * half)) * (h - 2)
  const falling = points.at(-1)![1] < points[0][1]
  return (
    <svg class={`sparkline${falling ? ' falling' : ''}`} width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-points={points.length}>
      <polyline fill="none" stroke-width="1.5" points={points.map(([i, s]) => `${x(i).toFixed(1)},${y(s).toFixed(1)}`).join(' ')} />
    </svg>
  )
}
