/** The data set bench/sweep.ts loads and keeps in `BENCH_DATA_DIR`, which other benches reuse. */
import fs from 'node:fs'
import path from 'node:path'

/** The file bench/sweep.ts writes once its events are loaded: the epoch ms they were loaded as of. */
export const loadedAtFile = (dataDir: string) => path.join(dataDir, 'loaded-at')

/** The loaded data set named by `BENCH_DATA_DIR`; exits with how to load one when there is none. */
export function sweepDataSet(): { dataDir: string; loadedAt: number } {
  const dataDir = process.env.BENCH_DATA_DIR
  if (!dataDir || !fs.existsSync(loadedAtFile(dataDir))) {
    console.error('BENCH_DATA_DIR must name a data set loaded by bench/sweep.ts (e.g. BENCH_DATA_DIR=/tmp/sweepdata node --import tsx bench/sweep.ts 50000 10000000 1)')
    process.exit(2)
  }
  return { dataDir, loadedAt: Number(fs.readFileSync(loadedAtFile(dataDir), 'utf8')) }
}
