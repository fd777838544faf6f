import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The value of `<name>` in a pom's properties, e.g. the version it pins. */
export function pomProperty(pom: string, name: string): string {
  const text = fs.readFileSync(pom, 'utf8')
  const start = text.indexOf(`<${name}>`)
  const end = text.indexOf(`</${name}>`, start)
  if (start < 0 || end < 0) throw new Error(`no <${name}> in ${pom}`)
  return text.slice(start + name.length + 2, end).trim()
}

/** Jars live in the user's cache, not the repo, so every clone and data dir shares one download. */
export function cachedLibDir(name: string): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(cache, 'pulse', name, 'libs')
}

/**
 * Copies the runtime jars `pom` depends on from Maven Central into `libDir` with mvn, once: a marker
 * written last says the copy is whole, and the folder is swapped in by rename so a crash leaves no half.
 */
export async function ensureMavenJars(pom: string, libDir: string, what: string, log: (msg: string) => void = () => {}): Promise<string> {
  const marker = path.join(libDir, '.complete')
  if (fs.existsSync(marker)) return libDir
  log(`fetching ${what} jars from Maven Central into ${libDir}`)
  const staging = `${libDir}.partial-${process.pid}`
  fs.rmSync(staging, { recursive: true, force: true })
  try {
    await run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], {
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`mvn could not fetch the ${what} jars: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`)
  }
  fs.writeFileSync(path.join(staging, '.complete'), new Date().toISOString())
  fs.rmSync(libDir, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(libDir), { recursive: true })
  fs.renameSync(staging, libDir)
  return libDir
}
