import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RegistryError } from '../../registry/errors.js'
import { SchemaStore } from '../../registry/schema-store.js'
import { avroJavaVersion, javaVerdicts, type JavaVerdict } from '../support/avro-java/avro-java.js'
import { corpusQuestions, type CorpusQuestion, type Verdict } from '../support/avro-compat-corpus.js'

/**
 * Every pair of test/fixtures/avro-compat asked both ways, of Pulse's registry and of Apache Avro's Java
 * implementation (SchemaCompatibility.checkReaderWriterCompatibility, what Confluent's registry decides
 * with). They must agree, except where a pair documents that Pulse follows the specification instead.
 */
const questions = corpusQuestions()
let java: Map<string, { verdict: JavaVerdict; detail: string }>
const tally = { agree: 0, exceptions: 0, disagree: 0 }

/** Pulse's verdict the way a client meets it: the writer registered, the reader checked BACKWARD against it. */
function pulseVerdict(q: CorpusQuestion): { verdict: Verdict; reasons: string[] } {
  const store = SchemaStore.open()
  try {
    store.setCompatibility(null, 'BACKWARD')
    store.register('pair', JSON.stringify(q.writer))
    const reasons = store.checkCompatibility('pair', JSON.stringify(q.reader), 'latest')
    return { verdict: reasons.length ? 'incompatible' : 'compatible', reasons }
  } catch (err) {
    if (err instanceof RegistryError && err.errorCode === 42201) return { verdict: 'invalid', reasons: [err.message] }
    throw err
  } finally {
    store.close()
  }
}

beforeAll(async () => {
  java = await javaVerdicts(questions.map((q) => ({ id: q.id, reader: q.reader, writer: q.writer })))
}, 180_000)

afterAll(() => {
  console.log(
    `Pulse agrees with Avro ${avroJavaVersion()} Java on ${tally.agree} of ${questions.length} verdicts; ` +
      `${tally.exceptions} documented exceptions (Pulse follows the specification); ${tally.disagree} disagreements`,
  )
})

describe(`compatibility verdicts against Apache Avro ${avroJavaVersion()} (Java)`, () => {
  const files = [...new Set(questions.map((q) => q.file))]
  it.each(files)('%s', (file) => {
    const problems: string[] = []
    for (const q of questions.filter((x) => x.file === file)) {
      const j = java.get(q.id)
      if (!j || j.verdict === 'error') {
        problems.push(`${q.id}: Java gave no verdict (${j?.detail ?? 'missing from its output'}); a pair must be one Java can judge`)
        continue
      }
      const pulse = pulseVerdict(q)
      if (pulse.verdict === 'incompatible' && !pulse.reasons.every((r) => /^properties[^:]*: \S.* — /.test(r))) {
        problems.push(`${q.id}: a reason without a path and a change: ${pulse.reasons.join(' | ')}`)
      }
      const expected = q.pair.exception?.pulse[q.direction]
      const why = `Pulse says ${pulse.verdict}${pulse.reasons.length ? ` (${pulse.reasons.join(' | ')})` : ''}; Java says ${j.verdict}${j.detail ? ` (${j.detail})` : ''}`
      if (pulse.verdict === j.verdict) tally.agree++
      if (expected) {
        if (pulse.verdict !== expected) problems.push(`${q.id}: documented exception expects Pulse to say ${expected}. ${why}`)
        else if (j.verdict === expected) problems.push(`${q.id}: documented exception, but Java now agrees; drop the exception. ${why}`)
        else tally.exceptions++
      } else if (pulse.verdict !== j.verdict) {
        problems.push(`${q.id}: ${why}`)
        tally.disagree++
      }
    }
    expect(problems, problems.join('\n')).toEqual([])
  })
})
