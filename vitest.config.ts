import { defineConfig } from 'vitest/config'

export default defineConfig({
  // graphql ships CommonJS (main) and ESM (module) builds; Node (and so type-graphql and Apollo) loads the
  // CommonJS one, Vite would pick the ESM one for our own imports, and graphql-js refuses types from "another
  // realm". Tests load what production loads.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    // chDB binds one data directory per process: every test file gets a process of its own.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
