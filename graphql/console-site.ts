/**
 * The console's built files (console/dist, made by `npm run build:console`) served under /console/ by the
 * GraphQL server: same origin as the API, so the console needs no CORS and no CDN. Without a build the path
 * says how to make one instead of answering 404s.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

export const CONSOLE_DIST = fileURLToPath(new URL('../console/dist', import.meta.url))

export async function serveConsole(app: FastifyInstance, dist = CONSOLE_DIST): Promise<void> {
  app.get('/', (_req, reply) => reply.redirect('/console/'))
  app.get('/console', (_req, reply) => reply.redirect('/console/'))
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    app.get('/console/*', (_req, reply) =>
      reply.code(503).type('text/plain').send(`The console is not built here (no ${dist}/index.html): run "npm run build:console" (bin/bootstrap does it).`),
    )
    return
  }
  // Assets have content hashes in their names: cached for good; index.html always revalidated.
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/console/',
    setHeaders: (res, file) => res.header('cache-control', file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
  })
}
