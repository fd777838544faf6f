import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A local server process Pulse started (Kafka, Redis) and must stop again. */
export interface ChildService {
  readonly name: string
  readonly pid: number
  stop(): Promise<void>
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface StartOptions {
  name: string
  command: string
  args: string[]
  logFile: string
  /** Resolves once the service answers; called repeatedly until it does or the timeout passes. */
  ready: () => Promise<boolean>
  readyTimeoutMs: number
  stopTimeoutMs: number
  env?: NodeJS.ProcessEnv
}

/**
 * Spawns a server, waits until `ready` says so, and hands back a handle whose stop() sends SIGTERM
 * (the clean shutdown both Kafka and Redis implement) and escalates to SIGKILL only after a timeout.
 */
export async function startChildService(opts: StartOptions): Promise<ChildService> {
  const out = fs.openSync(opts.logFile, 'a')
  const child: ChildProcess = spawn(opts.command, opts.args, {
    stdio: ['ignore', out, out],
    // Its own process group: a terminal's Ctrl-C reaches only Pulse, which then stops the server in order.
    detached: true,
    env: opts.env ?? process.env,
  })
  fs.closeSync(out)
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal }
      resolve()
    })
    child.once('error', (err) => {
      exited = { code: -1, signal: null }
      fs.appendFileSync(opts.logFile, `\nspawn failed: ${err.message}\n`)
      resolve()
    })
  })

  // If Pulse exits without stopping the service (a forced exit, an uncaught error), do not leave it running.
  const onExit = () => {
    if (!exited) child.kill('SIGTERM')
  }
  process.on('exit', onExit)
  void exitPromise.then(() => process.off('exit', onExit))

  const stop = async (): Promise<void> => {
    if (exited) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopTimeoutMs)
    await exitPromise
    clearTimeout(timer)
  }

  const deadline = Date.now() + opts.readyTimeoutMs
  for (;;) {
    if (exited) {
      throw new Error(`${opts.name} exited during start-up (${JSON.stringify(exited)}); last log lines:\n${tail(opts.logFile)}`)
    }
    if (await opts.ready().catch(() => false)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${opts.name} did not become ready within ${opts.readyTimeoutMs} ms; last log lines:\n${tail(opts.logFile)}`)
    }
    await sleep(200)
  }
  return { name: opts.name, pid: child.pid!, stop }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
