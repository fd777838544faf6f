import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REQUIREMENTS = fileURLToPath(new URL('../../bin/python-requirements.txt', import.meta.url))

/** The venv bin/bootstrap builds (keep the two in step). */
export const PYTHON_VENV = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pulse', 'python-venv')

/** Files of Python code the tests run (hooks, clients), in test/support/python/. */
export function pythonSupportFile(name: string): string {
  return fileURLToPath(new URL(`./python/${name}`, import.meta.url))
}

/**
 * The test suite's Python tools, from the venv bin/bootstrap installs with bin/python-requirements.txt:
 * `python` (with confluent-kafka and schemathesis importable) and schemathesis's `st`. Throws, saying what to
 * run, when the venv is missing or was built from other requirements.
 */
export function pythonTools(): { venv: string; python: string; st: string } {
  const tools = { venv: PYTHON_VENV, python: path.join(PYTHON_VENV, 'bin', 'python'), st: path.join(PYTHON_VENV, 'bin', 'st') }
  const missing = [tools.python, tools.st].filter((f) => !fs.existsSync(f))
  if (missing.length) {
    throw new Error(`the test suite's Python venv is not installed (no ${missing.join(', ')}); run "bash bin/bootstrap" (it installs bin/python-requirements.txt into ${PYTHON_VENV})`)
  }
  const want = crypto.createHash('sha256').update(fs.readFileSync(REQUIREMENTS)).digest('hex')
  const stamp = fs.existsSync(path.join(PYTHON_VENV, '.bootstrap-stamp')) ? fs.readFileSync(path.join(PYTHON_VENV, '.bootstrap-stamp'), 'utf8') : ''
  if (!stamp.startsWith(want)) {
    throw new Error(`the Python venv in ${PYTHON_VENV} was not built from the current bin/python-requirements.txt; run "bash bin/bootstrap" to update it`)
  }
  return tools
}
