import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Bearer-key check for /v1 and /api. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither a key's content nor its length leaks through timing.
 * No keys configured: open (development; production refuses to start without keys).
 */
export function requireApiKey (keys: string[]) {
  const expected = keys.map(digest)
  return async function checkApiKey (request: FastifyRequest, reply: FastifyReply) {
    if (expected.length === 0) return
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    const given = digest(match?.[1] ?? '')
    let valid = false
    for (const key of expected) valid = timingSafeEqual(key, given) || valid
    if (!match || !valid) {
      reply.header('www-authenticate', 'Bearer')
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: match ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer <key>' })
    }
  }
}
