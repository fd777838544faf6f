import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { freePort, startChildService, type ChildService } from './child-service.js'
import { cachedLibDir, ensureMavenJars, pomProperty } from './maven-jars.js'

const run = promisify(execFile)
const POM = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url))

export function kafkaVersion(): string {
  return pomProperty(POM, 'kafka.version')
}

export function kafkaLibDir(): string {
  return cachedLibDir(`kafka-${kafkaVersion()}`)
}

/** Fetches the broker's jars from Maven Central with mvn, once. Returns the folder that holds them. */
export function ensureKafkaJars(log: (msg: string) => void = () => {}): Promise<string> {
  return ensureMavenJars(POM, kafkaLibDir(), `Apache Kafka ${kafkaVersion()}`, log)
}

export interface KafkaBroker extends ChildService {
  brokers: string[]
}

export interface KafkaBrokerOptions {
  dataDir: string
  host?: string
  /** 0 picks a free port. */
  port?: number
  log?: (msg: string) => void
}

/** Starts a single-node KRaft broker (broker and controller in one JVM), formatting its storage on first use. */
export async function startKafkaBroker(opts: KafkaBrokerOptions): Promise<KafkaBroker> {
  const host = opts.host ?? '127.0.0.1'
  const libDir = await ensureKafkaJars(opts.log)
  const home = path.join(opts.dataDir, 'kafka')
  const logDir = path.join(home, 'data')
  fs.mkdirSync(logDir, { recursive: true })
  const port = opts.port || (await freePort(host))
  const controllerPort = await freePort(host)

  const propsFile = path.join(home, 'server.properties')
  fs.writeFileSync(propsFile, brokerProperties({ host, port, controllerPort, logDir }))
  const log4jFile = path.join(home, 'log4j2.properties')
  fs.writeFileSync(log4jFile, LOG4J2)

  const java = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', `${libDir}/*`]
  if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
    // Kafka's own Uuid never starts with '-' (argument parsers would take it for an option); neither does ours.
    let clusterId: string
    do clusterId = crypto.randomBytes(16).toString('base64url')
    while (clusterId.startsWith('-'))
    await run('java', [...java, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, `--config=${propsFile}`, '--ignore-formatted'])
  }

  const brokers = [`${host}:${port}`]
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 500 })
  const service = await startChildService({
    name: 'kafka',
    command: 'java',
    args: [...java, 'kafka.Kafka', propsFile],
    logFile: path.join(home, 'server.log'),
    readyTimeoutMs: 60_000,
    stopTimeoutMs: 30_000,
    ready: async () => {
      const admin = kafka.admin()
      try {
        await admin.connect()
        const cluster = await admin.describeCluster()
        if (!cluster.brokers.length || cluster.controller === null) return false
        // Ready means consumer groups work too: this fails until the group coordinator has loaded.
        await admin.describeGroups(['pulse-readiness-probe'])
        return true
      } finally {
        await admin.disconnect().catch(() => {})
      }
    },
  })
  return { ...service, brokers }
}

function brokerProperties(p: { host: string; port: number; controllerPort: number; logDir: string }): string {
  return `# written by Pulse at every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${p.host}:${p.controllerPort}
listeners=PLAINTEXT://${p.host}:${p.port},CONTROLLER://${p.host}:${p.controllerPort}
advertised.listeners=PLAINTEXT://${p.host}:${p.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${p.logDir}
num.partitions=3
auto.create.topics.enable=true
# single node: every internal topic has one replica
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# consumers in tests and dev should not wait for late joiners
group.initial.rebalance.delay.ms=0
`
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka.server.KafkaRaftServer
logger.kafka.level = info
`
