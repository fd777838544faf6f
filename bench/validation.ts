// Validation cost per event: the gateway's avsc-based check (findViolations) and plain avsc isValid,
// against ajv validating the equivalent JSON Schema, on the same events, in the same process.
// Run: node --import tsx bench/validation.ts
import { Ajv } from 'ajv'
import avro from 'avsc'
import { findViolations } from '../gateway/violations.js'
import { readCatalog } from '../schemas/index.js'

const schema = JSON.parse(readCatalog().find((e) => e.subject === 'subscription_updated')!.schema)
const type = avro.Type.forSchema(schema)
// The equivalent JSON Schema, written by hand for this one event.
const jsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['plan', 'mrrCents', 'currency', 'termMonths', 'renewalDate', 'autoRenew', 'status'],
  properties: {
    plan: { type: 'string' },
    mrrCents: { type: 'integer' },
    currency: { type: 'string' },
    termMonths: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
    renewalDate: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
    autoRenew: { type: 'boolean' },
    status: { enum: ['TRIALING', 'ACTIVE', 'PAST_DUE', 'PAUSED', 'CANCELED', 'UNKNOWN'] },
    previousMrrCents: { type: ['integer', 'null'] },
  },
}
const ajv = new Ajv({ allErrors: true })
const validate = ajv.compile(jsonSchema)

const valid = { plan: 'growth', mrrCents: 49_900, currency: 'EUR', termMonths: 12, renewalDate: 20_800, autoRenew: true, status: 'ACTIVE', previousMrrCents: null }
const invalid = { plan: 7, mrrCents: 49_900.5, currency: 'EUR', termMonths: 12, renewalDate: 20_800, autoRenew: 'yes', status: 'ZOMBIE', colour: 'red' }
if (findViolations(type, valid).length || !validate(valid) || findViolations(type, invalid).length !== 5 || validate(invalid)) throw new Error('validators disagree')

function nsPerCall(fn: () => unknown, ms = 1000): number {
  for (let i = 0; i < 10_000; i++) fn()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn()
    n += 1000
    now = process.hrtime.bigint()
  }
  return Number(now - start) / n
}

const rows: [string, number][] = [
  ['ajv, valid event (baseline)', nsPerCall(() => validate(valid))],
  ['avsc isValid, valid event', nsPerCall(() => type.isValid(valid))],
  ['findViolations (avsc + undeclared walk), valid event', nsPerCall(() => findViolations(type, valid))],
  ['ajv allErrors, invalid event (5 errors)', nsPerCall(() => validate(invalid))],
  ['findViolations, invalid event (5 violations)', nsPerCall(() => findViolations(type, invalid))],
  ['avsc encode (toBuffer), valid event', nsPerCall(() => type.toBuffer(valid))],
]
const base = rows[0][1]
console.log('| check | ns per event | × ajv |\n| --- | ---: | ---: |')
for (const [name, ns] of rows) console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / base).toFixed(2)} |`)
