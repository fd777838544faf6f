import { describe, expect, it } from 'vitest'
import type { PlannedAlert } from '../../processors/playbooks/planned-actions.js'
import { slackMessage } from '../../processors/playbooks/slack-message.js'

const alert: PlannedAlert = {
  type: 'alert',
  key: 'score-below-60/acct_globex/1',
  ruleId: 'score-below-60',
  ruleName: 'Score below 60',
  target: { type: 'account', accountId: 'acct_globex' },
  severity: 'warning',
  title: 'Health score dropped below 60',
  why: ['score 58, below 60'],
  to: 'csm_ana',
  toRole: 'csm',
  channels: ['cs-slack'],
  firedAt: Date.parse('2026-11-23T12:00:00Z'),
}

describe('Slack alert messages', () => {
  it('shows the account, why it fired, the score and tier change, the top drivers and a link', () => {
    const m = slackMessage(alert, { score: 58, previousScore: 66, tier: 'At-risk', previousTier: 'Stable', drivers: ['usage.adoption: 6 of 20 seats active (30 %)', 'a', 'b', 'c'], accountUrl: 'https://pulse.example.com/console/#/account?id=acct_globex' })
    expect(m.text).toBe(':warning: Health score dropped below 60 — account acct_globex')
    expect(m.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Health score dropped below 60', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: ':warning: *Score below 60* on *account acct_globex*\n• score 58, below 60' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Score*\n66 → 58' }, { type: 'mrkdwn', text: '*Tier*\nStable → At-risk' }] },
      { type: 'section', text: { type: 'mrkdwn', text: '*What pulls it down*\n• usage.adoption: 6 of 20 seats active (30 %)\n• a\n• b' } },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the account' }, url: 'https://pulse.example.com/console/#/account?id=acct_globex' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'For csm_ana (csm) · fired 2026-11-23T12:00:00.000Z · score-below-60/acct_globex/1' }] },
    ])
  })

  it('escapes Slack markup in names and facts, and leaves out what it does not know', () => {
    const m = slackMessage({ ...alert, ruleName: 'A <b> & c', why: ['x > 1'], to: null, toRole: null, target: { type: 'schema', subject: 'feature_used' } }, null)
    expect(m.text).toBe(':warning: Health score dropped below 60 — events feature_used')
    expect(m.blocks).toHaveLength(3)
    expect(JSON.stringify(m.blocks[1])).toContain('A &lt;b&gt; &amp; c')
    expect(JSON.stringify(m.blocks[1])).toContain('x &gt; 1')
    expect(m.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'fired 2026-11-23T12:00:00.000Z · score-below-60/acct_globex/1' }] })
  })
})
