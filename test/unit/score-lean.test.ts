import { describe, expect, it } from 'vitest'
import { scoreAccount } from '../../processors/scoring/account-score.js'
import { MEASURES, type MeasureValues } from '../../processors/scoring/measures.js'
import { computeScore, scoreOnly } from '../../processors/scoring/score.js'
import { loadScorecard, presetNames, readYaml, resolveScorecard, ScorecardError } from '../../processors/scoring/scorecard-file.js'
import { SEGMENTS, type Segment } from '../../processors/scoring/scorecard.js'

/** A deterministic generator, so a failure names the seed that found it. */
function random(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

/** Values for every measure, each left out (no data) a third of the time; numbers across and beyond every band. */
function accountValues(next: () => number): MeasureValues {
  const values: MeasureValues = {}
  for (const m of MEASURES) {
    if (next() < 0.33) continue
    values[m.name] = m.kind === 'category' ? m.categories![Math.floor(next() * m.categories!.length)] : Math.round((next() * 240 - 60) * 100) / 100
  }
  return values
}

describe('the sweep scores without building components, and the result is the same', () => {
  for (const preset of presetNames()) {
    it(`${preset}: status, score, coverage and missing equal computeScore's for 3,000 generated accounts in every segment`, () => {
      const card = loadScorecard({ config: preset }).card
      const next = random(preset.length * 7919)
      for (let i = 0; i < 3000; i++) {
        const values = accountValues(next)
        const segment: Segment | null = i % 5 === 4 ? null : SEGMENTS[i % 4]
        const { components, ...full } = computeScore(card, values, segment)
        expect(scoreOnly(card, values, segment), `${preset} account ${i}`).toEqual(full)
        expect(components.length).toBeGreaterThan(0)
      }
    })
  }

  it("a record's components are derived when read, equal to computeScore's", () => {
    const { card, version } = loadScorecard({ config: 'pillars-3' })
    const values = accountValues(random(3))
    const record = scoreAccount({ accountId: 'a', card, version, values, segment: 'ENTERPRISE', history: { daysAgo: { d7: null, d30: null } }, asOf: 0, computedAt: 0, trigger: 'sweep' })
    expect(record.components).toEqual(computeScore(card, values, 'ENTERPRISE').components)
    expect(record.components).toBe(record.components)
    expect({ ...record }.components).toEqual(record.components)
  })

  it('refuses a scorecard of more than 30 scored components, saying so', () => {
    const leaves = Array.from({ length: 31 }, (_, i) => `      - { name: c${i}, weight: 1, measure: active_days_30d, linear: { from: 0, to: 20 } }`).join('\n')
    const yaml = `tiers:\n  - { name: Good, min: 50, max: 100 }\n  - { name: Bad, min: 0, max: 49 }\ncomponents:\n  - name: usage\n    weight: 100\n    components:\n${leaves}\n`
    let problems: string[] = []
    try {
      resolveScorecard(readYaml('/cfg/pulse.scoring.yaml', yaml))
    } catch (err) {
      if (!(err instanceof ScorecardError)) throw err
      problems = err.problems
    }
    expect(problems.some((p) => /31 scored components \(leaves of groups included\); at most 30 are supported/.test(p))).toBe(true)
  })
})
