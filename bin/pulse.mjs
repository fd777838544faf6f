#!/usr/bin/env node
// Pulse is TypeScript run directly through tsx: no build step between a clone and `npx pulse dev`.
// tsx reads tsconfig.json from the working directory by default; Pulse's own (decorators on) must apply
// wherever the command runs, e.g. `pulse schemas check` inside another repository.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL('../tsconfig.json', import.meta.url))
register()
await import('../cli/main.ts')
