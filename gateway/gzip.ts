import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'

/**
 * Gzip-encoded request bodies, as RudderStack's libraries send by default (`Content-Encoding: gzip`), are
 * inflated before parsing; the body limit then counts the inflated bytes, so a small bomb is refused with 413
 * like any large body. A gzip body is read as JSON whatever its Content-Type says: RudderStack's Node library
 * labels its gzipped JSON `application/x-www-form-urlencoded` (axios's default for a Buffer). Any other
 * encoding is refused with 415.
 */
export function inflateRequestBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase()
    if (!encoding || encoding === 'identity') return payload
    if (encoding !== 'gzip') {
      throw Object.assign(new Error(`Content-Encoding "${encoding}" is not taken; send the body plain or gzip-encoded`), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' })
    }
    // The length said is of the compressed bytes; what is counted against the limit is what comes out.
    delete req.headers['content-length']
    req.headers['content-type'] = 'application/json'
    const inflated = zlib.createGunzip()
    inflated.on('error', (err: Error & { statusCode?: number }) => {
      err.statusCode = 400
      err.message = `the gzip-encoded body could not be inflated: ${err.message}`
    })
    payload.on('error', (err) => inflated.destroy(err))
    return payload.pipe(inflated)
  })
}
