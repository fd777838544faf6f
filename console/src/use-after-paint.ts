/** A flag that turns true once `ready` has been painted: for work that must not compete with the first screen. */
import { useEffect, useState } from 'preact/hooks'

/**
 * False until `ready` holds and the browser has painted the frame after it (an animation frame, then a task:
 * the frame's paint comes between the two). On two cores a heavy request sent while the page renders (the
 * portfolio's KPIs scan the period's events) took the CPU from the render and held the tiers off the screen
 * for 300–700 ms after their data had arrived.
 */
export function useAfterPaint(ready: boolean): boolean {
  const [painted, setPainted] = useState(false)
  useEffect(() => {
    if (!ready || painted) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setPainted(true))))
    return () => {
      cancelAnimationFrame(frame)
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [ready, painted])
  return painted
}

/**
 * useAfterPaint, and a User Timing mark `pulse:<page>-shown` the first time: when the page's data was on
 * screen, measured from navigation in the browser itself (bench/console.ts reads it), so a busy machine's
 * delay in noticing does not count as the page's.
 */
export function useShownMark(page: string, ready: boolean): boolean {
  const painted = useAfterPaint(ready)
  useEffect(() => {
    if (painted) performance.mark(`pulse:${page}-shown`)
  }, [painted, page])
  return painted
}
