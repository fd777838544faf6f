// The console is built into console/dist and served by the GraphQL server under /console/ (same origin as the
// API, so no CORS and no CDN at run time).
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/console/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  logLevel: 'warn',
})
