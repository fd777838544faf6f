import { describe, expect, it } from 'vitest'
import { loadScorecard, readYaml, resolveScorecard, ScorecardError } from '../../processors/scoring/scorecard-file.js'

const problems = (yaml: string, env: Record<string, string> = {}) => {
  try {
    resolveScorecard(readYaml('/cfg/pulse.scoring.yaml', yaml), env)
    return []
  } catch (err) {
    if (!(err instanceof ScorecardError)) throw err
    return err.problems
  }
}

const TIERS = `tiers:
  - { name: Good, min: 50, max: 100 }
  - { name: Bad, min: 0, max: 49 }
`

describe('scorecard validation', () => {
  it('accepts a valid file and gives equal scorecards one version', () => {
    const yaml = `${TIERS}components:
  - { name: usage, weight: 0.6, measure: active_days_30d, linear: { from: 0, to: 20 } }
  - { name: nps, weight: 0.4, measure: nps_90d, linear: { from: -50, to: 50 } }
`
    const a = resolveScorecard(readYaml('a.yaml', yaml))
    const b = resolveScorecard(readYaml('b.yaml', `# reordered\n${yaml.replace('weight: 0.6, measure', 'measure: active_days_30d, weight: 0.6, xmeasure').replace('xmeasure: active_days_30d, ', '')}`))
    expect(a.version).toMatch(/^[0-9a-f]{12}$/)
    expect(b.version).toBe(a.version)
  })

  it('names an unknown measure with its file and line', () => {
    expect(problems(`${TIERS}components:\n  - name: usage\n    weight: 100\n    measure: active_dayz\n    linear: { from: 0, to: 20 }\n`)).toEqual([
      expect.stringMatching(/pulse\.scoring\.yaml:7: component "usage": unknown measure "active_dayz"; see docs\/SCORING\.md for the measures$/),
    ])
  })

  it('refuses weights that do not sum to 1 or 100, at the top, in a group and in a segment', () => {
    const found = problems(`${TIERS}components:
  - { name: usage, weight: 60, measure: active_days_30d, linear: { from: 0, to: 20 } }
  - name: rel
    weight: 30
    components:
      - { name: nps, weight: 0.5, measure: nps_90d, linear: { from: -50, to: 50 } }
      - { name: csm, weight: 0.3, measure: days_since_csm_touch, linear: { from: 90, to: 14 } }
segments:
  ENTERPRISE: { usage: 50, rel: 40 }
`)
    expect(found).toEqual([
      expect.stringMatching(/pulse\.scoring\.yaml:5: the weights of the components sum to 90 \(usage 60, rel 30\); they must sum to 1 or 100$/),
      expect.stringMatching(/pulse\.scoring\.yaml:9: the weights of the components of group "rel" sum to 0.8 \(nps 0.5, csm 0.3\); they must sum to 1 or 100$/),
      expect.stringMatching(/:12: the weights of the components in segment ENTERPRISE sum to 90 \(usage 50, rel 40\)/),
    ])
  })

  it('refuses overlapping and gapped bands, and tiers that do not cover 0–100', () => {
    const found = problems(`tiers:
  - { name: Good, min: 60, max: 100 }
  - { name: Bad, min: 0, max: 50 }
components:
  - name: usage
    weight: 100
    measure: active_days_30d
    bands:
      - { min: 15, points: 30 }
      - { min: 4, max: 16, points: 20 }
      - { min: 1, max: 3, points: 10 }
      - { min: 0, max: 1, points: 0 }
`)
    expect(found).toEqual([
      expect.stringMatching(/:11: component "usage" \(active_days_30d\): gap between bands — values from 3 up to 4 fall in no band$/),
      expect.stringMatching(/:9: component "usage" \(active_days_30d\): bands overlap — \[4, 16\) "4\+" and \[15, …\) "15\+" both hold 15$/),
      expect.stringMatching(/:3: gap between tiers: scores 51–59 fall between "Bad" and "Good"$/),
    ])
  })

  it('checks environment weight overrides and names the variable', () => {
    expect(() => loadScorecard({ config: 'points-5', env: { PULSE_SCORING_WEIGHT_USAGE: '40', PULSE_SCORING_WEIGHT_PAYMENT: '0' } })).not.toThrow()
    expect(loadScorecard({ config: 'points-5', env: { PULSE_SCORING_WEIGHT_USAGE: '40', PULSE_SCORING_WEIGHT_PAYMENT: '0' } }).source).toBe(
      'preset points-5 with PULSE_SCORING_WEIGHT_USAGE=40, PULSE_SCORING_WEIGHT_PAYMENT=0',
    )
    const err = (env: Record<string, string>) => {
      try {
        loadScorecard({ config: 'points-5', env })
      } catch (e) {
        return (e as ScorecardError).problems
      }
    }
    expect(err({ PULSE_SCORING_WEIGHT_USAGE: '0.5' })).toEqual([expect.stringMatching(/sum to 70.5 .*with PULSE_SCORING_WEIGHT_USAGE=0.5 from the environment/)])
    expect(err({ PULSE_SCORING_WEIGHT_USAGX: '10' })).toEqual([expect.stringMatching(/^PULSE_SCORING_WEIGHT_USAGX names no component of the scorecard; the variables are PULSE_SCORING_WEIGHT_USAGE, /)])
    expect(err({ PULSE_SCORING_WEIGHT_USAGE: 'lots' })).toEqual(['PULSE_SCORING_WEIGHT_USAGE must be a weight ≥ 0 (e.g. 0.3 or 30), got "lots"'])
  })

  it('knows the presets by name, and a file may start from one', () => {
    expect(problems('preset: points-6\n')).toEqual([expect.stringMatching(/:1: unknown preset "points-6"; presets are pillars-3, points-5, pulse$/)])
    const based = resolveScorecard(readYaml('x.yaml', 'preset: points-5\ncoverage: { minimum: 0.9 }\n'))
    expect(based.card.minimumCoverage).toBe(0.9)
    expect(based.card.components.map((c) => c.name)).toEqual(['usage', 'feature_adoption', 'support', 'engagement', 'payment'])
    expect(based.source).toBe('x.yaml (preset points-5)')
  })
})
