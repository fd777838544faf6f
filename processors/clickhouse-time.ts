/** ClickHouse DateTime64 text without the zone designator (Pulse's time columns are declared UTC). */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '')
}
