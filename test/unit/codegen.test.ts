import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { generateTypes } from '../../schemas/codegen.js'
import { readCatalog } from '../../schemas/index.js'
import { tempDir } from '../support/fixtures.js'

/** Type-checks one producer file against the generated module; returns the compiler's messages. */
function typeErrors(producer: string): string[] {
  const dir = tempDir('pulse-codegen-')
  fs.writeFileSync(path.join(dir, 'pulse-events.ts'), generateTypes(readCatalog()))
  const file = path.join(dir, 'producer.ts')
  fs.writeFileSync(file, producer)
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], skipLibCheck: true, types: [] })
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

const header = `import { createTracker } from './pulse-events'
const pulse = createTracker({ url: 'http://localhost:8080', apiKey: 'k' })
const base = { messageId: 'm', accountId: 'a', timestamp: '2026-01-01T00:00:00Z' }
`

describe('pulse schemas codegen', () => {
  it('produces types a correct producer compiles against', () => {
    const errors = typeErrors(`${header}
await pulse.track({ ...base, event: 'feature_used', properties: { feature: 'reports.export' } })
await pulse.track({ ...base, event: 'feature_used', properties: { feature: 'x', durationMs: null } })
await pulse.track({ ...base, event: 'support_ticket_opened', properties: { ticketId: 't1', severity: 'P1', channel: 'EMAIL' } })
await pulse.track({ ...base, event: 'user_login', userId: 'u', properties: { method: 'SSO' } })
`)
    expect(errors).toEqual([])
  })

  it.each([
    ['a property of the wrong type', `{ ...base, event: 'feature_used', properties: { feature: 42 } }`, /number.*not assignable to type 'string'/],
    ['an undeclared property', `{ ...base, event: 'feature_used', properties: { feature: 'x', colour: 'red' } }`, /colour/],
    ['a missing required property', `{ ...base, event: 'seats_updated', properties: { seatsPurchased: 3 } }`, /seatsActive/],
    ['an enum symbol that does not exist', `{ ...base, event: 'support_ticket_opened', properties: { ticketId: 't', severity: 'P0', channel: 'EMAIL' } }`, /"P0"/],
    ['an event that is not in the catalog', `{ ...base, event: 'teleported', properties: {} }`, /teleported/],
  ])('makes a producer with %s fail to compile', (_what, call, message) => {
    const errors = typeErrors(`${header}\nawait pulse.track(${call})\n`)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.join('\n')).toMatch(message)
  })
})
