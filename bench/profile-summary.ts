// Where a V8 CPU profile's time goes: self time by package (or Pulse folder) and the top functions.
// Run: node --import tsx bench/profile-summary.ts FILE.cpuprofile [top=25]
import fs from 'node:fs'

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const [file, topArg] = process.argv.slice(2)
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...self.values()].reduce((a, b) => a + b, 0)

/** node_modules/<pkg>, a Pulse folder, node: internals, or what V8 calls the frame (GC, idle, program). */
function owner(n: Node): string {
  const url = n.callFrame.url
  if (!url) return `(${n.callFrame.functionName || 'native'})`
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.startsWith('node:')) return 'node: ' + url.slice(5).split('/')[0]
  const local = /\/work\/[^/]+\/([^/]+)\//.exec(url) ?? /\/([^/]+)\/[^/]+\.[cm]?[jt]s$/.exec(url)
  return local ? `pulse ${local[1]}/` : url
}
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
const groups = new Map<string, number>()
const fns = new Map<string, number>()
for (const [id, t] of self) {
  const n = byId.get(id)!
  const g = owner(n)
  groups.set(g, (groups.get(g) ?? 0) + t)
  const f = label(n)
  fns.set(f, (fns.get(f) ?? 0) + t)
}
// Shares are of the busy time: a profile covers the whole process life, idle stretches included.
const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0)
const busy = total - idle
const pct = (t: number) => ((100 * t) / busy).toFixed(1).padStart(5) + '%'

// Inclusive time per function (a frame counted once per sample even when it recurses).
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const inclusive = new Map<string, number>()
for (const [id, t] of self) {
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!)
    if (seen.has(l)) continue
    seen.add(l)
    inclusive.set(l, (inclusive.get(l) ?? 0) + t)
  }
}

console.log(`total ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy; shares below are of the busy time\n\nself time by owner:`)
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${g}`)
console.log('\ntop functions (self):')
for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) console.log(`${pct(t)}  ${f}`)

const filter = process.env.INCLUSIVE_FILTER ? new RegExp(process.env.INCLUSIVE_FILTER) : /gateway\/|processors\/|fastify\/|producer\/|ioredis/
console.log(`\ninclusive time of functions matching ${filter}:`)
for (const [f, t] of [...inclusive].filter(([f]) => filter.test(f)).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${pct(t)}  ${f}`)
