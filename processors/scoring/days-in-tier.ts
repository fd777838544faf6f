/** Pure: days from the first day of the trailing run of equal tiers to the last scored day, inclusive (days without a score do not break a run). */
export function daysInCurrentTier(days: { day: string; tier: string }[]): number | null {
  if (!days.length) return null
  const current = days[days.length - 1].tier
  let first = days.length - 1
  while (first > 0 && days[first - 1].tier === current) first--
  return Math.round((Date.parse(days[days.length - 1].day) - Date.parse(days[first].day)) / 86_400_000) + 1
}
