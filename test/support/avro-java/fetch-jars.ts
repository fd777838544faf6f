// bin/bootstrap runs this so a fresh machine has the Avro jars before the compatibility corpus test needs them.
import { ensureAvroJavaJars } from './avro-java.js'

const dir = await ensureAvroJavaJars((m) => console.log(`bootstrap: ${m}`))
console.log(`bootstrap: Apache Avro jars ready in ${dir}`)
