/** Pure: how an import's progress reads, as a bar on a terminal or as a plain line in a log. */
export interface ImportProgress {
  lines: number
  accepted: number
  duplicates: number
  rejected: number
  /** Bytes of the input read so far, and its size when known (a file; not standard input). */
  bytes: number
  totalBytes: number | null
  elapsedMs: number
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US')

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

export function rate(p: ImportProgress): number {
  return p.elapsedMs > 0 ? (p.accepted + p.duplicates + p.rejected) / (p.elapsedMs / 1000) : 0
}

/** Estimated time left, from the share of bytes read; null when the size is unknown or nothing was read yet. */
export function eta(p: ImportProgress): number | null {
  if (!p.totalBytes || p.bytes <= 0) return null
  return (p.elapsedMs * (p.totalBytes - p.bytes)) / p.bytes
}

export function progressBar(p: ImportProgress, width = 30): string {
  const share = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : null
  const bar = share === null ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '-')}] ${(share * 100).toFixed(1).padStart(5)} % `
  const left = eta(p)
  return `${bar}${thousands(p.lines)} lines · ${thousands(rate(p))} events/s · ${thousands(p.accepted)} accepted · ${thousands(p.duplicates)} duplicates · ${thousands(p.rejected)} rejected${left === null ? '' : ` · ETA ${duration(left)}`}`
}

export function progressLine(p: ImportProgress): string {
  const share = p.totalBytes ? ` (${((100 * p.bytes) / p.totalBytes).toFixed(1)} %)` : ''
  const left = eta(p)
  return `import: ${p.lines} lines${share}, ${p.accepted} accepted, ${p.duplicates} duplicates, ${p.rejected} rejected, ${Math.round(rate(p))} events/s${left === null ? '' : `, ETA ${duration(left)}`}`
}
