import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs'
import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'pulse' } })
}

/** Routes kafkajs's own logging into pino; its INFO lines (joins, rebalances) are routine, so they go to debug. */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' })
  return () => ({ level, log }) => {
    const { message, ...extra } = log
    if (level === KafkaLogLevel.ERROR) child.error(extra, message)
    else if (level === KafkaLogLevel.WARN) child.warn(extra, message)
    else child.debug(extra, message)
  }
}
