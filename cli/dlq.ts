import path from 'node:path'
import { parseArgs } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { replayDeadLetters } from '../processors/dlq-replay.js'
import { readEndpoints } from '../runtime/endpoints-file.js'

export const DLQ_USAGE = `usage: pulse dlq replay [--brokers host:port,…] [--topic pulse.events] [--dlq pulse.events.dlq]

  send the records the processor dead-lettered back to their topic, once each (progress is kept in the
  consumer group pulse-dlq-replay); brokers from --brokers, PULSE_KAFKA_BROKERS or the running \`pulse dev\`
`

export async function dlqCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command !== 'replay') {
    console.error(DLQ_USAGE)
    return 2
  }
  const { values } = parseArgs({ args: rest, options: { brokers: { type: 'string' }, topic: { type: 'string' }, dlq: { type: 'string' } } })
  const running = readEndpoints(path.resolve(process.env.PULSE_DATA_DIR || './.pulse'))
  const brokers = (values.brokers ?? process.env.PULSE_KAFKA_BROKERS)?.split(',') ?? running?.kafka
  if (!brokers?.length) throw new Error('no Kafka brokers: pass --brokers, set PULSE_KAFKA_BROKERS, or start `pulse dev` with the same PULSE_DATA_DIR')
  const topic = values.topic ?? process.env.PULSE_EVENTS_TOPIC ?? 'pulse.events'
  const dlqTopic = values.dlq ?? process.env.PULSE_DLQ_TOPIC ?? `${topic}.dlq`
  const replayed = await replayDeadLetters({ kafka: new Kafka({ brokers, logLevel: logLevel.WARN }), dlqTopic, fallbackTopic: topic })
  console.log(`replayed ${replayed} record${replayed === 1 ? '' : 's'} from ${dlqTopic}`)
  return 0
}
