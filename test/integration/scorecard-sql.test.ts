import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../processors/clickhouse-rows.js'
import { MEASURES, measureNamed, type MeasureValues } from '../../processors/scoring/measures.js'
import { scoreOnly, tierOf } from '../../processors/scoring/score.js'
import { loadScorecard, presetNames } from '../../processors/scoring/scorecard-file.js'
import { scorecardSql, stagedSql, tierSql } from '../../bench/support/in-engine/scorecard-sql.js'
import { leavesOf, SEGMENTS, validateScorecard, type Rule, type Scorecard, type Segment } from '../../processors/scoring/scorecard.js'
import { createClickHouse } from '../../runtime/clickhouse.js'
import { seededRandom } from '../../runtime/seeded-random.js'
import { tempDir } from '../support/fixtures.js'

/** Where a rule changes its points: band minimums and a hair either side, a linear rule's bounds. */
function edgesOf(rule: Rule): number[] {
  const at = rule.kind === 'bands' ? rule.bands.map((b) => b.min) : rule.kind === 'linear' ? [rule.from, rule.to, (rule.from + rule.to) / 3] : []
  return at.flatMap((x) => [x, x - 1e-9, x + 1e-9])
}

/** Values for every measure the card scores, a third left out (no data); numbers at its edges and anywhere. */
function accountValues(card: Scorecard, next: () => number): MeasureValues {
  const values: MeasureValues = {}
  for (const { leaf } of leavesOf(card.components)) {
    if (leaf.measure in values || next() < 0.33) continue
    const m = measureNamed(leaf.measure)!
    const edges = edgesOf(leaf.rule)
    values[leaf.measure] =
      m.kind === 'category' ? m.categories![Math.floor(next() * m.categories!.length)]
      : edges.length && next() < 0.4 ? edges[Math.floor(next() * edges.length)]
      : (next() * 240 - 60) / 7
  }
  return values
}

// Fractional weights that do not add up exactly in binary, overrides of a group and of a leaf inside one,
// a lower-is-better linear rule, bands, a coverage minimum to miss.
const odd = validateScorecard({
  name: 'odd',
  components: [
    {
      name: 'product',
      weight: 0.35,
      components: [
        { name: 'adoption', weight: 0.7, measure: 'adoption_rate', linear: { from: 0.1, to: 0.8 } },
        { name: 'days', weight: 0.3, measure: 'active_days_30d', bands: [{ min: 0, max: 3, points: 1, label: 'few' }, { min: 3, max: 10, points: 7, label: 'some' }, { min: 10, points: 9.5, label: 'many' }] },
      ],
    },
    { name: 'touch', weight: 0.25, measure: 'days_since_csm_touch', linear: { from: 90, to: 7 } },
    { name: 'payments', weight: 0.4, measure: 'payment_status', points: { CURRENT: 3, MINOR_ISSUES: 2, OVERDUE: 1, FAILED: 0 } },
  ],
  segments: { SMB: { product: 0.5, touch: 0.1, payments: 0.4 }, ENTERPRISE: { 'product.adoption': 0.45, 'product.days': 0.55 } },
  tiers: [
    { name: 'Good', min: 67, max: 100 },
    { name: 'Fair', min: 34, max: 66 },
    { name: 'Poor', min: 0, max: 33 },
  ],
  coverage: { minimum: 0.6 },
})

describe('the scorecard compiled to SQL scores as the pure core does (real ClickHouse engine)', () => {
  const clickhouse = createClickHouse({ dataDir: tempDir() })
  const columns = MEASURES.map((m) => `m_${m.name} Nullable(${m.kind === 'category' ? 'String' : 'Float64'})`)
  beforeAll(() => clickhouse.command({ query: `CREATE TABLE accounts (id UInt32, segment String, ${columns.join(', ')}) ENGINE = Memory` }))
  afterAll(() => clickhouse.close())

  const cards: [string, Scorecard][] = [...presetNames().map((p): [string, Scorecard] => [p, loadScorecard({ config: p }).card]), ['odd', odd.card!]]

  it('has a hand-built card to compare beside the presets', () => {
    expect(odd.problems).toEqual([])
  })

  for (const [name, card] of cards) {
    it(`${name}: status, score, coverage and missing equal scoreOnly's to the bit for 2,000 generated accounts in every segment`, async () => {
      const next = seededRandom(`scorecard-sql/${name}`).next
      const accounts = Array.from({ length: 2000 }, (_, id) => ({ id, segment: id % 6 === 5 ? 'none' : id % 6 === 4 ? '' : SEGMENTS[id % 4], values: accountValues(card, next) }))
      await clickhouse.command({ query: 'TRUNCATE TABLE accounts' })
      await clickhouse.insert({
        table: 'accounts',
        format: 'JSONEachRow',
        values: accounts.map((a) => ({ id: a.id, segment: a.segment, ...Object.fromEntries(Object.entries(a.values).map(([k, v]) => [`m_${k}`, v])) })),
        // The values must arrive as the very doubles JavaScript scores.
        clickhouse_settings: { precise_float_parsing: 1 },
      })
      const sql = scorecardSql(card, { measure: (m) => `m_${m}`, segment: 'segment' })
      const rows = await queryRows<{ id: number; status: string; score: number | null; coverage: number; missing: string[] }>(
        clickhouse,
        `SELECT id, ${sql.status} AS status, ${sql.score} AS score, ${sql.coverage} AS coverage, ${sql.missing} AS missing FROM (${stagedSql('SELECT * FROM accounts', sql)}) ORDER BY id`,
      )
      expect(rows).toHaveLength(accounts.length)
      let insufficient = 0
      for (const a of accounts) {
        const segment = (SEGMENTS as readonly string[]).includes(a.segment) ? (a.segment as Segment) : null
        const expected = scoreOnly(card, a.values, segment)
        const row = rows[a.id]
        expect({ ...row, id: undefined }, `${name} account ${a.id} ${JSON.stringify(a)}`).toEqual({ ...expected, id: undefined })
        if (expected.status === 'INSUFFICIENT_DATA') insufficient++
      }
      // The generator reaches both statuses, so either branch could fail.
      expect(insufficient).toBeGreaterThan(0)
      expect(insufficient).toBeLessThan(accounts.length)
    })
  }

  it('puts every alias in a stage after the stages of the aliases it reads, so each stage can be its own subquery', () => {
    for (const [, card] of cards) {
      const { stages } = scorecardSql(card, { measure: (m) => `m_${m}`, segment: 'segment' })
      const stageOf = new Map(stages.flatMap((aliases, k) => aliases.map((a) => [a.slice(a.lastIndexOf(' AS ') + 4), k] as const)))
      expect(stages.length).toBeGreaterThan(1)
      stages.forEach((aliases, k) => {
        for (const a of aliases) {
          const read = [...a.slice(0, a.lastIndexOf(' AS ')).matchAll(/\bsc_\w+/g)].map(([n]) => n)
          for (const n of read) expect(stageOf.get(n), `${a.slice(a.lastIndexOf(' AS ') + 4)} (stage ${k}) reads ${n}`).toBeLessThan(k)
        }
      })
    }
  })

  it('bands a score into the tier tierOf gives, rounding half up as Math.round does (ClickHouse rounds ties to even)', async () => {
    const card = loadScorecard({ config: 'pillars-3' }).card
    const scores = [0, 0.49999999999999994, 0.5, 34.5, 35.4999, 35.5, 36, 70.5, 70.49, 71, 99.5, 100, 12.5, 14.5]
    const rows = await queryRows<{ tier: string }>(clickhouse, `SELECT ${tierSql(card.tiers, 's')} AS tier FROM (SELECT arrayJoin({scores:Array(Float64)}) AS s)`, { scores })
    expect(rows.map((r) => r.tier)).toEqual(scores.map((s) => tierOf(card.tiers, s).name))
    // 35.5 is Yellow by Math.round and would be Red by the engine's round().
    expect(tierOf(card.tiers, 35.5).name).toBe('Yellow')
  })
})
