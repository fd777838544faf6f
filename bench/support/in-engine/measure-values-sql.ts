/**
 * Pure: `measure-values.ts` in ClickHouse SQL — each measure's value from the aggregates `measure-query.ts`
 * reads — for bench/sweep-in-engine.ts (see scorecard-sql.ts beside it; not Pulse's scoring path). The
 * portfolio's part (which sources it sends, the core features) is known before the query, so it is decided
 * here and written into the SQL as constants. `test/integration/measure-values-sql.test.ts` holds the two
 * implementations equal, to the bit, on generated aggregates; a change to measure-values.ts fails it until it
 * is made here too.
 */
import { MEASURES } from '../../../processors/scoring/measures.js'
import { MEASURE_SOURCES, sendsAny, type PortfolioInputs } from '../../../processors/scoring/measure-values.js'
import { SEGMENTS } from '../../../processors/scoring/scorecard.js'
import { quote } from './scorecard-sql.js'

export interface MeasureValuesSqlInput {
  /** Prefix of the usage aggregates' columns (`usageSql`'s, e.g. `u.`). */
  usage: string
  /** Prefix of the sparse aggregates' columns (`sparseSql`'s, e.g. `s.`). */
  sparse: string
  /** Epoch ms of the account's first event (Int64). */
  firstSeen: string
  /** Epoch ms the measures are as of (Int64). */
  asOf: string
}

/**
 * SQL expressions of every measure (Nullable(Float64) for numbers, Nullable(String) for categories; NULL for
 * no data) and of the segment (Nullable(String)). An account without usage or sparse aggregates must read
 * them as their columns' defaults (0, empty, as a LEFT JOIN gives with join_use_nulls off): measure-values.ts
 * reads an absent aggregate as 0 the same way.
 */
export function measureValuesSql(portfolio: PortfolioInputs, input: MeasureValuesSqlInput): { measures: Record<string, string>; segment: string } {
  const u = (c: string) => `${input.usage}${c}`
  const s = (c: string) => `${input.sparse}${c}`
  const f = (x: string) => `toFloat64(${x})`
  const sent = (kinds: string[], sql: string) => (sendsAny(portfolio, kinds) ? sql : 'NULL')
  const { support: SUPPORT, billing: BILLING, email: EMAIL, csm: CSM } = MEASURE_SOURCES
  const core = portfolio.coreFeatures
  const seatsKnown = `${s('hasSeats')} > 0`
  const subscribed = `${s('hasSubscription')} > 0`
  const purchased = `${s('seats')}.1`
  const activeUsers = u('activeUsers30')
  const coreUsed = `length(arrayFilter(x -> has(${u('features30')}, x), ${stringArray(core)}))`
  const days = (ms: string) => `greatest(0., floor(${f(ms)} / 86400000))`
  const nps = (promoters: string, detractors: string, total: string) => `if(${total} != 0, (100 * (${f(promoters)} - ${f(detractors)})) / ${f(total)}, NULL)`
  const nps90 = nps(s('npsPromoters90'), s('npsDetractors90'), s('npsCount90'))
  const npsPrev = nps(s('npsPromotersPrev'), s('npsDetractorsPrev'), s('npsCountPrev'))
  const mrr = `${s('subscription')}.1`
  const mrr30 = `if(${s('hasSubscription30Ago')} > 0, ${f(s('mrr30Ago'))}, NULL)`
  const rated = `(${f(s('positive30'))} + ${f(s('neutral30'))} + ${f(s('negative30'))})`
  const lastTouch = `if(${s('lastCsmTouch')} > 0, ${s('lastCsmTouch')}, ${input.firstSeen})`

  const measures: Record<string, string> = {
    active_days_7d: f(u('activeDays7')),
    active_days_30d: f(u('activeDays30')),
    active_users_30d: f(activeUsers),
    logins_30d: f(u('logins30')),
    adoption_rate: `if(${seatsKnown} AND ${purchased} != 0, ${f(activeUsers)} / ${f(purchased)}, NULL)`,
    weekly_active_users: f(u('wau')),
    wau_trend: `if(${u('wau4wAgo')} > 0, ${f(u('wau'))} / ${f(u('wau4wAgo'))} - 1, NULL)`,
    distinct_features_30d: f(`length(${u('features30')})`),
    core_feature_share: core.length ? `${f(coreUsed)} / ${f(String(core.length))}` : 'NULL',
    core_features: f(String(core.length)),
    core_features_used: f(coreUsed),

    tickets_opened_30d: sent(SUPPORT, f(s('ticketsOpened30'))),
    tickets_p1_30d: sent(SUPPORT, f(s('ticketsP1_30'))),
    tickets_p2_30d: sent(SUPPORT, f(s('ticketsP2_30'))),
    escalations_30d: sent(SUPPORT, f(s('escalations30'))),
    median_resolution_hours_30d: `if(${s('resolved30')} > 0, ${f(s('medianResolutionMinutes30'))} / 60, NULL)`,
    ticket_sentiment_30d: `if(${rated} != 0, (${f(s('positive30'))} - ${f(s('negative30'))}) / ${rated}, NULL)`,
    support_experience: sent(
      SUPPORT,
      `multiIf(${s('escalations30')} > 0, 'ESCALATED', ${s('ticketsP1_30')} > 0 OR ${s('negative30')} > 0 OR ${s('csatLow30')} > 0, 'NEGATIVE', ${s('positive30')} > 0 OR ${s('csatHigh30')} > 0, 'POSITIVE', 'NEUTRAL')`,
    ),
    csat_90d: `if(${s('csatCount90')} > 0, ${f(s('csatSum90'))} / ${f(s('csatCount90'))}, NULL)`,

    nps_90d: nps90,
    nps_change_90d: `${nps90} - ${npsPrev}`,
    email_engagements_30d: sent(EMAIL, f(u('emailEngagements30'))),
    days_since_csm_touch: sent(CSM, days(`${input.asOf} - ${lastTouch}`)),

    payment_status: `if(${sendsAny(portfolio, BILLING) ? 'true' : subscribed}, multiIf(${s('exhaustedInvoices')} > 0, 'FAILED', ${s('unpaidInvoices')} > 0 OR (${subscribed} AND ${s('subscription')}.3 = 'PAST_DUE'), 'OVERDUE', ${s('maxDaysLate90')} > 0 OR ${s('failedThenPaid90')} > 0, 'MINOR_ISSUES', 'CURRENT'), NULL)`,
    unpaid_failed_invoices: sent(BILLING, f(s('unpaidInvoices'))),
    days_late_90d: sent(BILLING, f(s('maxDaysLate90'))),
    days_to_renewal: `if(${subscribed}, ${f(`${s('subscription')}.2`)} - floor(${f(input.asOf)} / 86400000), NULL)`,
    seat_utilization: `if(${seatsKnown} AND ${purchased} != 0, ${f(`${s('seats')}.2`)} / ${f(purchased)}, NULL)`,
    mrr_change_30d: `if(${subscribed} AND ${mrr30} != 0, ${f(mrr)} / ${mrr30} - 1, NULL)`,
    seats_purchased: `if(${seatsKnown}, ${f(purchased)}, NULL)`,
    seats_active: `if(${seatsKnown}, ${f(`${s('seats')}.2`)}, NULL)`,
    mrr_cents: `if(${subscribed}, ${f(mrr)}, NULL)`,
    tenure_days: days(`${input.asOf} - ${input.firstSeen}`),
  }
  const missing = MEASURES.filter((m) => !(m.name in measures)).map((m) => m.name)
  if (missing.length) throw new Error(`measure-values-sql.ts has no SQL for ${missing.join(', ')}`)
  // Nullable throughout, so a measure has one type whichever branch a portfolio's constants leave.
  const typed = Object.fromEntries(MEASURES.map((m) => [m.name, `CAST(${measures[m.name]} AS Nullable(${m.kind === 'category' ? 'String' : 'Float64'}))`]))
  return { measures: typed, segment: `if(${s('segment')} IN ${stringTuple(SEGMENTS)}, ${s('segment')}, NULL)` }
}

const stringArray = (xs: readonly string[]) => `CAST([${xs.map(quote).join(', ')}] AS Array(String))`
const stringTuple = (xs: readonly string[]) => `(${xs.map(quote).join(', ')})`

/**
 * The measures as the JSON text `health_scores.measures` holds (`{"name":value,…}` in MEASURE_NAMES' order,
 * null for no data), from each measure's SQL. Concatenated rather than `toJSONString` of a named tuple: the
 * same text for 50,000 accounts in ~0.05 s instead of ~0.15. Numbers as JSON.stringify writes them:
 * `toString` gives the same shortest round-trip digits, but writes 1e21 where JavaScript writes 1e+21, −0
 * where it writes 0 (so the value plus 0, which is +0) and inf or nan where it writes null. Categories are
 * measure-values.ts' own constants, with nothing to escape.
 */
export function measuresJsonSql(measure: (name: string) => string): string {
  const field = (m: (typeof MEASURES)[number], i: number) => {
    const v = `assumeNotNull(${measure(m.name)})`
    const text = m.kind === 'category'
      ? `concat('"', ${v}, '"')`
      : `if(isFinite(${v}), replaceOne(toString(${v} + 0.), 'e', if(abs(${v}) >= 1, 'e+', 'e')), 'null')`
    return `${quote(`${i ? ',' : ''}"${m.name}":`)}, if(isNull(${measure(m.name)}), 'null', ${text})`
  }
  return `concat('{', ${MEASURES.map(field).join(', ')}, '}')`
}
