/**
 * The churn workers: training on a schedule (a BullMQ job scheduler, weekly by default) and on demand, one
 * at a time across processes; and re-prediction of the accounts the scoring passes touched, drained from a
 * pending set by a debounced job, as scoring itself is.
 */
import { Queue, Worker, type ConnectionOptions, type QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { createPendingQueue, markForScoring, returnPending, takePending, type ScoringQueue } from '../scoring/index.js'
import { readLatestTraining } from './model-store.js'
import { predictAccounts } from './predict-accounts.js'
import { trainAndPredict, type ChurnDeps, type TrainingRun } from './train-and-predict.js'

export const CHURN_QUEUE = 'pulse-churn'
export const PREDICT_QUEUE = 'pulse-churn-predict'
const TRAINING_SCHEDULER = 'churn-training'

export interface TrainJob {
  horizonDays?: number
}

export function createChurnQueue(connection: ConnectionOptions, prefix: string): Queue<TrainJob> {
  return new Queue<TrainJob>(CHURN_QUEUE, { connection, prefix, defaultJobOptions: { attempts: 2, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: 50, removeOnFail: 50 } })
}

/** The queue of accounts waiting for a new churn prediction. */
export function createPredictQueue(redis: Redis, prefix: string): ScoringQueue {
  return createPendingQueue(redis, prefix, PREDICT_QUEUE)
}

/** Asks for the accounts' churn risk to be predicted again within `debounceMs`. */
export const markForPrediction = markForScoring

/**
 * Trains now (on whichever process runs the churn worker) and waits for the outcome. Waiting needs a
 * QueueEvents listener: the caller keeps one for the queue's life.
 */
export async function requestTraining(queue: Queue<TrainJob>, events: QueueEvents, job: TrainJob, timeoutMs = 10 * 60_000): Promise<TrainingRun> {
  const added = await queue.add('train', job)
  return (await added.waitUntilFinished(events, timeoutMs)) as TrainingRun
}

export interface ChurnWorkerDeps extends ChurnDeps {
  connection: Redis
  prefix: string
  horizonDays: number
  trainEveryMs: number
  /** @defaultValue 2000 */
  passSize?: number
}

export async function startChurnWorkers(deps: ChurnWorkerDeps): Promise<{ close(): Promise<void> }> {
  const log = deps.logger?.child({ component: 'churn' })
  const now = deps.now ?? Date.now
  const queue = createChurnQueue(deps.connection, deps.prefix)
  await queue.setGlobalConcurrency(1)
  await queue.upsertJobScheduler(TRAINING_SCHEDULER, { every: deps.trainEveryMs }, { name: 'train', data: {} })

  const training = new Worker<TrainJob>(
    CHURN_QUEUE,
    async (job) => {
      const run = await trainAndPredict({ ...deps, logger: log }, { horizonDays: job.data.horizonDays ?? deps.horizonDays })
      return run
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  )
  training.on('failed', (_job, err) => log?.warn({ err }, 'churn training failed'))
  training.on('error', (err) => log?.error({ err }, 'churn worker error'))

  // Re-prediction: the model in force, read once per job (a training may have replaced it since the last).
  const predictQueue = createPredictQueue(deps.connection, deps.prefix)
  const passSize = deps.passSize ?? 2000
  const predicting = new Worker(
    PREDICT_QUEUE,
    async () => {
      const latest = await readLatestTraining(deps.clickhouse)
      let predicted = 0
      for (;;) {
        const due = await takePending(predictQueue, passSize)
        if (!due.size) break
        if (latest?.status !== 'READY' || !latest.model) continue // nothing to predict with: drain and drop
        try {
          predicted += (await predictAccounts(deps, latest.model, [...due.keys()], now())).length
        } catch (err) {
          await returnPending(predictQueue, due)
          throw err
        }
        if (due.size < passSize) break
      }
      return { predicted }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  )
  predicting.on('failed', (_job, err) => log?.warn({ err }, 'churn prediction pass failed; its accounts wait for the retry'))
  predicting.on('error', (err) => log?.error({ err }, 'churn prediction worker error'))

  return {
    async close() {
      await Promise.all([training.close(), predicting.close()])
      await Promise.all([queue.close(), predictQueue.close()])
    },
  }
}

