import { ConfigError, loadConfig, type PulseConfig } from '../platform/config.js'
import { ensureKafkaJars } from '../runtime/kafka-broker.js'
import type { Platform } from '../platform/index.js'
import { bearer, type Scope } from '../runtime/auth/index.js'

const USAGE = `usage: pulse <command>

  dev             start every Pulse component in this process (Kafka and Redis too, unless configured)
  demo            like dev, then send sample events through the gateway and print the resulting scores
  kafka install   fetch the Kafka broker's jars from Maven Central (done on demand by dev and demo)
  schemas …       check, push, document and generate types for the event catalog (pulse schemas help)
  registry …      export or import the whole schema registry (pulse registry help)
  drift report    what the gateway refused, by event, field and source (pulse drift help)
  webhooks …      the alert webhooks' delivery log, test deliveries and replays (pulse webhooks help)
  keys …          create, list and revoke API keys (pulse keys help)
  score --dry-run what a candidate scorecard would change, per account and tier (pulse score --help)
  score suggest   how predictive each scorecard component is, and the weights the churn history suggests
  import FILE|-   send NDJSON or CSV event history through the gateway with a backfill key (pulse import --help)
  churn …         train the churn model and print its backtest (pulse churn help)
  simulate        generate a simulated portfolio's event history with its churn truth (pulse simulate --help)
  dlq replay      send dead-lettered records back through the processor (pulse dlq help)
  report …        the monthly Customer Health report and metric sheet (pulse report --help)
  graphql schema  print the GraphQL API's schema (SDL); docs/schema.graphql holds the reviewed copy
`

async function main(argv: string[]): Promise<number> {
  const [command, sub] = argv
  switch (command) {
    case 'dev':
      return serve({ demo: false })
    case 'demo':
      return serve({ demo: true })
    case 'kafka':
      if (sub === 'install') {
        const dir = await ensureKafkaJars((m) => console.log(m))
        console.log(`Kafka jars ready in ${dir}`)
        return 0
      }
      break
    case 'dlq':
      return (await import('./dlq.js')).dlqCommand(argv.slice(1))
    case 'keys':
      return (await import('./keys.js')).keysCommand(argv.slice(1))
    case 'score':
      return (await import('./score.js')).scoreCommand(argv.slice(1))
    case 'import':
      return (await import('./import.js')).importCommand(argv.slice(1))
    case 'churn':
      return (await import('./churn.js')).churnCommand(argv.slice(1))
    case 'simulate':
      return (await import('./simulate.js')).simulateCommand(argv.slice(1))
    case 'drift':
      return (await import('./drift.js')).driftCommand(argv.slice(1))
    case 'report':
      return (await import('./report.js')).reportCommand(argv.slice(1))
    case 'webhooks':
      return (await import('./webhooks.js')).webhooksCommand(argv.slice(1))
    case 'graphql':
      return (await import('./graphql.js')).graphqlCommand(argv.slice(1))
    case 'registry':
      return (await import('./registry.js')).registryCommand(argv.slice(1))
    case 'schemas':
      // Loaded on demand: the catalog tools should not pay for loading the whole platform.
      return (await import('./schemas.js')).schemasCommand(argv.slice(1))
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE)
      return 0
  }
  console.error(`unknown command: ${argv.join(' ')}\n\n${USAGE}`)
  return 2
}

async function serve(opts: { demo: boolean }): Promise<number> {
  const env = { ...process.env }
  // The demo's output is the scores; keep routine logs out of the way unless asked for.
  if (opts.demo && !env.PULSE_LOG_LEVEL) env.PULSE_LOG_LEVEL = 'warn'
  // Six months of demo history leave room for a 60-day horizon's backtest, not a 90-day one's.
  if (opts.demo && !env.PULSE_CHURN_HORIZON) env.PULSE_CHURN_HORIZON = '60d'
  const config = loadConfig(env)
  const { createLogger } = await import('../runtime/logger.js')
  const { startPlatform } = await import('../platform/index.js')
  const logger = createLogger(config.logLevel)
  const started = Date.now()
  const platform = await startPlatform(config, logger)
  printEndpoints(platform, Date.now() - started)

  let stoppingSince = 0
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (stoppingSince) {
        // A terminal's Ctrl-C reaches both npm and Pulse, and npm forwards it too: one keypress can arrive
        // twice. Only a signal well after the first means "stop waiting".
        if (Date.now() - stoppingSince < 1000) return
        console.error(`${signal} again: exiting without a clean stop`)
        process.exit(130)
      }
      stoppingSince = Date.now()
      console.log(`\n${signal}: stopping Pulse…`)
      platform.stop().then(resolve, (err) => {
        console.error(err)
        resolve()
      })
    }
    process.on('SIGINT', () => onSignal('SIGINT'))
    process.on('SIGTERM', () => onSignal('SIGTERM'))
  })

  if (opts.demo) {
    try {
      await runDemo(platform, config)
    } catch (err) {
      // Ctrl-C while the demo sends is a normal way to leave; anything else is a real failure.
      if (!stoppingSince) {
        console.error('the demo failed:', err)
        process.kill(process.pid, 'SIGTERM')
      }
    }
  }
  await stopped
  console.log('Pulse stopped.')
  return 0
}

async function runDemo(platform: Platform, config: PulseConfig): Promise<void> {
  const { runChurnDemo, sendDemoEvents, waitForScores } = await import('./demo.js')
  // The development key may do everything; from PULSE_API_KEYS, the first key holding every scope a step needs.
  const keyWith = (...scopes: Scope[]) => platform.generatedApiKey?.secret ?? [...(config.apiKeys?.values() ?? [])].find((k) => scopes.every((s) => k.scopes.includes(s)))?.secret
  const [trackKey, readKey] = [keyWith('track'), keyWith('read')]
  if (!trackKey || !readKey) throw new Error('the demo needs PULSE_API_KEYS to hold a key with the track scope and one with read (or leave PULSE_API_KEYS unset for a development key)')
  const accounts = await sendDemoEvents(platform.endpoints.gateway, trackKey)
  const scores = await waitForScores({ url: platform.endpoints.graphql, authorization: bearer(readKey) }, accounts)
  console.log('\nHealth scores computed from the demo events (queried through GraphQL):')
  console.table(scores)
  console.log(`Try: curl -s ${platform.endpoints.graphql} -H 'authorization: Bearer ${readKey}' -H 'content-type: application/json' -d '{"query":"{ account(id: \\"${accounts[0]}\\") { profile { name plan seatsPurchased } healthScore { score tier coverage components { name value points maxPoints } drivers { text } trend { direction } } } }"}'`)
  console.log('And: npx pulse score --dry-run --config points-5   (what another scorecard would change; writes nothing)')
  const [backfillKey, trainKey] = [keyWith('backfill'), keyWith('read', 'write')]
  if (backfillKey && trainKey) await runChurnDemo({ gatewayUrl: platform.endpoints.gateway, graphql: { url: platform.endpoints.graphql, authorization: bearer(trainKey) }, backfillKey, dataDir: config.dataDir, horizonDays: config.churn.horizonDays })
  else console.log('\n(PULSE_API_KEYS holds no key with the backfill scope, or none with read+write: skipping the churn demo, which imports six months of history and trains the model.)')
  console.log('Serving until Ctrl-C.')
}

function printEndpoints(p: Platform, ms: number): void {
  const e = p.endpoints
  const lines: [string, string][] = [
    ['gateway', e.gateway && `${e.gateway}/v1/track`],
    ['registry', e.registry],
    ['graphql', e.graphql && `${e.graphql}  (subscriptions: ${e.graphqlWs})`],
    // The generated key rides in the fragment, which the browser never sends: the link signs the console in.
    ['console', e.console && (p.generatedApiKey ? `${e.console}#key=${encodeURIComponent(p.generatedApiKey.secret)}` : e.console)],
    // Prometheus, no key needed: on the gateway, or on PULSE_METRICS_PORT in a process without one.
    ['metrics', e.metrics],
    ['kafka', e.kafka.join(',')],
    ['redis', e.redis],
    ['clickhouse', e.clickhouse],
    ['schemas', p.registeredSchemas.map((s) => `${s.subject}#${s.id}`).join(', ')],
  ]
  const shown = lines.filter(([, value]) => value).map(([name, value]) => `  ${name.padEnd(12)} ${value}`)
  if (p.generatedApiKey) shown.push(`  api key      ${p.generatedApiKey.secret}   (generated, every scope; set PULSE_API_KEYS=name:secret:scopes to choose your own)`)
  // One write: whoever reads this output (a test, a script) sees the whole block at once.
  console.log(`Pulse is up (${(ms / 1000).toFixed(1)} s)\n${shown.join('\n')}`)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err instanceof Error ? `error: ${err.message}` : err)
    process.exit(1)
  },
)
