#!/usr/bin/env node
// Pulse is TypeScript run directly through tsx: no build step between a clone and `npx pulse dev`.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
