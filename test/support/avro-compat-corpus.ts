import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/avro-compat/', import.meta.url))

export type Verdict = 'compatible' | 'incompatible' | 'invalid'
export type Direction = 'asGiven' | 'swapped'

/** One reader/writer pair of the corpus; every pair is also asked with the roles swapped. */
export interface CorpusPair {
  name: string
  reader: unknown
  writer: unknown
  /** Where Pulse follows the specification and Java's SchemaCompatibility does not: Pulse's verdict, and why. */
  exception?: { pulse: Partial<Record<Direction, Verdict>>; reason: string }
}

/** One question put to both Pulse and Java: can `reader` read what `writer` wrote? */
export interface CorpusQuestion {
  id: string
  file: string
  pair: CorpusPair
  direction: Direction
  reader: unknown
  writer: unknown
}

const KEYS = new Set(['name', 'reader', 'writer', 'exception'])
const VERDICTS = new Set<unknown>(['compatible', 'incompatible', 'invalid'])

/** Every corpus file's pairs, checked for shape, as questions asked both ways. */
export function corpusQuestions(): CorpusQuestion[] {
  const questions: CorpusQuestion[] = []
  for (const file of fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const pairs = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as CorpusPair[]
    const names = new Set<string>()
    for (const pair of pairs) {
      const where = `${file}: ${JSON.stringify(pair.name)}`
      if (typeof pair.name !== 'string' || !pair.name) throw new Error(`${file}: a pair without a name`)
      if (names.has(pair.name)) throw new Error(`${where} appears twice`)
      names.add(pair.name)
      const unknown = Object.keys(pair).filter((k) => !KEYS.has(k))
      if (unknown.length) throw new Error(`${where} has unknown keys ${unknown.join(', ')}`)
      if (pair.reader === undefined || pair.writer === undefined) throw new Error(`${where} needs a reader and a writer`)
      if (pair.exception) {
        const verdicts = Object.entries(pair.exception.pulse ?? {})
        if (!verdicts.length || !pair.exception.reason) throw new Error(`${where}: an exception names Pulse's verdict for asGiven and/or swapped, and its reason`)
        for (const [direction, verdict] of verdicts) {
          if ((direction !== 'asGiven' && direction !== 'swapped') || !VERDICTS.has(verdict)) throw new Error(`${where}: bad exception ${direction}: ${verdict}`)
        }
      }
      const id = `${file.replace(/\.json$/, '')}/${pair.name}`
      questions.push({ id, file, pair, direction: 'asGiven', reader: pair.reader, writer: pair.writer })
      questions.push({ id: `${id} (swapped)`, file, pair, direction: 'swapped', reader: pair.writer, writer: pair.reader })
    }
  }
  return questions
}
