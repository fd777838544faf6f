/**
 * A seeded pseudo-random source: the same seed gives the same portfolio, byte for byte, so a simulated file
 * can be regenerated instead of stored, and a re-run produces the same messageIds.
 *
 * Written here rather than taken from npm: Math.random cannot be seeded, and sfc32 (Chris Doty-Humphrey's
 * Small Fast Counter, the generator PractRand recommends for non-cryptographic use) is a dozen lines.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number
  chance(p: number): boolean
  /** One of the items, uniformly. */
  pick<T>(items: readonly T[]): T
  /** Standard normal (Box–Muller). */
  normal(): number
  /** Poisson-distributed count with the given mean (Knuth; fine for the small means used here). */
  poisson(mean: number): number
  /** A new independent stream, e.g. one per account, so adding an event kind does not shift the others. */
  fork(label: string): Random
  /** 32 random hex digits shaped as a UUID v4. */
  uuid(): string
}

export function seededRandom(seed: number | string): Random {
  let [a, b, c, d] = hashSeed(String(seed))
  const next = () => {
    a |= 0; b |= 0; c |= 0; d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  const hex = () => Math.floor(next() * 0x100000000).toString(16).padStart(8, '0')
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    poisson: (mean) => {
      const limit = Math.exp(-mean)
      let k = 0
      for (let p = next(); p > limit; p *= next()) k++
      return k
    },
    fork: (label) => seededRandom(`${seed}/${label}`),
    uuid: () => {
      const h = hex() + hex() + hex() + hex()
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`
    },
  }
  return random
}

// cyrb128: spreads a string seed over the generator's four 32-bit words.
function hashSeed(s: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0]
}
