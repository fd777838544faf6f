/** ClickHouse DateTime64 text without the zone designator (Pulse's time columns are declared UTC). */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '')
}

/** Epoch ms of ClickHouse DateTime64 text as Pulse's UTC columns return it ("2026-12-03 07:03:49.123"). */
export function fromChTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`)
}
