import { describe, expect, it } from 'vitest'
import { describeOutcome, formatDeliveries, type DeliveryRow } from '../../cli/webhooks.js'
import { testDeliveryBody } from '../../processors/playbooks/webhook-admin.js'

const row = (over: Partial<DeliveryRow>): DeliveryRow => ({
  id: 'dlv_1', endpoint: 'crm', type: 'alert.fired', status: 'DELIVERED', attempts: 1, httpStatus: 200, lastError: null, latencyMs: 42,
  firstAttemptAt: '2026-03-02T09:00:00.000Z', updatedAt: '2026-03-02T09:00:01.250Z', ...over,
})

describe('webhook administration, pure parts', () => {
  it('a test delivery is the signed envelope for webhooks and a plain message for Slack', () => {
    const now = Date.parse('2026-03-02T09:00:00Z')
    expect(testDeliveryBody({ name: 'crm', kind: 'webhook', url: 'http://x', secrets: ['s'] }, 'dlv_test_1', now)).toEqual({
      id: 'dlv_test_1', type: 'webhook.test', time: '2026-03-02T09:00:00.000Z', data: { endpoint: 'crm', message: expect.stringContaining('the endpoint works') },
    })
    expect(testDeliveryBody({ name: 'cs-slack', kind: 'slack', url: 'http://x', secrets: [] }, 'dlv_test_2', now)).toMatchObject({ text: expect.stringContaining('"cs-slack"'), blocks: [{ type: 'section' }, { type: 'context' }] })
  })

  it('the log as a table: aligned columns, numbers to the right, the error last', () => {
    expect(formatDeliveries([row({}), row({ id: 'dlv_22', status: 'DEAD', attempts: 12, httpStatus: null, lastError: 'no answer within 10000 ms', latencyMs: 10003 })])).toBe(
      [
        'UPDATED (UTC)        STATUS     ENDPOINT  TYPE         ATTEMPTS  HTTP   LATENCY  ID      LAST ERROR',
        '2026-03-02 09:00:01  delivered  crm       alert.fired         1   200     42 ms  dlv_1',
        '2026-03-02 09:00:01  dead       crm       alert.fired        12     -  10003 ms  dlv_22  no answer within 10000 ms',
      ].join('\n'),
    )
    expect(formatDeliveries([])).toBe('no deliveries match')
  })

  it('an outcome in a sentence', () => {
    expect(describeOutcome(row({}))).toBe('dlv_1 delivered to crm: HTTP 200 in 42 ms (1 attempt)')
    expect(describeOutcome(row({ status: 'DEAD', attempts: 3, httpStatus: 500, lastError: 'HTTP 500' }))).toBe('dlv_1 to crm is dead after 3 attempts: HTTP 500')
    expect(describeOutcome(row({ status: 'PENDING', attempts: 1, httpStatus: 503, lastError: 'HTTP 503' }))).toMatch(/^dlv_1 to crm failed \(HTTP 503, 1 attempt\); it will be retried with backoff/)
  })
})
