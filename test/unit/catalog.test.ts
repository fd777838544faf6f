import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { findViolations } from '../../gateway/violations.js'
import { renderCatalogDocs } from '../../schemas/catalog-docs.js'
import { readCatalog } from '../../schemas/index.js'
import { lintSchema } from '../../schemas/lint.js'

const catalog = readCatalog()
const EVENTS = [
  'user_login', 'feature_used', 'seats_updated', 'subscription_updated', 'invoice_paid', 'payment_failed',
  'support_ticket_opened', 'support_ticket_resolved', 'support_ticket_escalated', 'nps_submitted', 'csat_submitted',
  'email_engaged', 'csm_activity_logged', 'onboarding_milestone_reached', 'subscription_canceled', 'account_updated',
  'user_identified',
]

describe('the event catalog', () => {
  it('has every customer-success event, each a valid Avro record', () => {
    expect(catalog.map((e) => e.subject).sort()).toEqual([...EVENTS].sort())
    for (const e of catalog) expect(avro.Type.forSchema(JSON.parse(e.schema)).typeName).toBe('record')
  })

  it('passes its own lint: docs everywhere, naming conventions, enum defaults', () => {
    for (const e of catalog) expect(lintSchema(e.subject, JSON.parse(e.schema)), e.subject).toEqual([])
  })

  it('lint catches what it is for', () => {
    const bad = { type: 'record', name: 'bad_name', fields: [{ name: 'Plan', type: { type: 'enum', name: 'Tier', symbols: ['low'] } }] }
    const messages = lintSchema('BadEvent', bad, new Set()).map((f) => `${f.path}: ${f.message}`)
    expect(messages).toEqual([
      'event: event name "BadEvent" should be snake_case',
      'properties: type name "bad_name" should be PascalCase',
      'properties: record bad_name has no "doc"',
      'properties.Plan: field name "Plan" should be camelCase',
      'properties.Plan: field has no "doc"',
      'properties.Plan: new field has no "default": events written before this version cannot be read with it',
      'properties.Plan: enum Tier has no "doc"',
      'properties.Plan: enum symbols low should be UPPER_SNAKE_CASE',
      'properties.Plan: enum Tier has no "default" symbol, so adding a symbol later breaks older readers',
    ])
  })

  it('accepts a realistic payload for subscription_updated at the gateway', () => {
    const type = avro.Type.forSchema(JSON.parse(catalog.find((e) => e.subject === 'subscription_updated')!.schema))
    const ok = { plan: 'growth', mrrCents: 49_900, currency: 'EUR', termMonths: 12, renewalDate: 20_800, autoRenew: true, status: 'ACTIVE' }
    expect(findViolations(type, ok)).toEqual([])
    expect(findViolations(type, { ...ok, status: 'ZOMBIE' })[0]).toMatchObject({ path: 'properties.status', kind: 'type_mismatch' })
  })

  it('renders as a Markdown catalog', () => {
    const md = renderCatalogDocs(catalog)
    for (const e of EVENTS) expect(md).toContain(`## ${e}`)
    expect(md).toContain('| `mrrCents` | `long` | yes |')
  })
})
