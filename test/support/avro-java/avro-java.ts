import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cachedLibDir, ensureMavenJars, pomProperty } from '../../../runtime/maven-jars.js'

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const CHECKER = fileURLToPath(new URL('./AvroCompat.java', import.meta.url))

export type JavaVerdict = 'compatible' | 'incompatible' | 'invalid' | 'error'

export interface JavaPair {
  id: string
  reader: unknown
  writer: unknown
}

export function avroJavaVersion(): string {
  return pomProperty(POM, 'avro.version')
}

/** Fetches org.apache.avro:avro and its dependencies from Maven Central with mvn, once. */
export function ensureAvroJavaJars(log?: (msg: string) => void): Promise<string> {
  return ensureMavenJars(POM, cachedLibDir(`avro-${avroJavaVersion()}`), `Apache Avro ${avroJavaVersion()}`, log)
}

/**
 * Java's `SchemaCompatibility.checkReaderWriterCompatibility` verdict for every pair, from one JVM: the
 * checker is a single-file source program, so there is nothing to build.
 */
export async function javaVerdicts(pairs: JavaPair[]): Promise<Map<string, { verdict: JavaVerdict; detail: string }>> {
  const libDir = await ensureAvroJavaJars()
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('java', ['-cp', `${libDir}/*`, CHECKER], { maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) => {
      if (err) reject(new Error(`the Avro Java checker failed: ${err.message}\n${errOut}`))
      else resolve(out)
    })
    child.stdin!.end(pairs.map((p) => JSON.stringify(p)).join('\n') + '\n')
  })
  const verdicts = new Map<string, { verdict: JavaVerdict; detail: string }>()
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue
    const { id, verdict, detail } = JSON.parse(line) as { id: string; verdict: JavaVerdict; detail: string }
    verdicts.set(id, { verdict, detail })
  }
  return verdicts
}
