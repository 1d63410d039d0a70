import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { scopeAllows, type ApiKey, type Scope } from '../config/api-keys.ts'

/** Who called: the key's scope, and an id that names the key without revealing it. */
export interface Caller {
  scope: Scope
  /** SHA-256 of the key, hex: rate limits and idempotency keys are kept per key under it. */
  keyId: string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least scope a key needs for this route; routes under /v1 and /api without one need admin. */
    scope?: Scope
  }
  interface FastifyRequest {
    /** Set by the key check; undefined on routes without auth. */
    caller?: Caller
  }
}

// With no keys configured (development and test only) every caller is an operator
const OPEN_CALLER: Caller = { scope: 'admin', keyId: '' }

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function refuse (reply: FastifyReply, statusCode: 401 | 403, message: string) {
  if (statusCode === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(statusCode).send({ statusCode, error: statusCode === 401 ? 'Unauthorized' : 'Forbidden', message })
}

/**
 * Bearer-key check for /v1 and /api: 401 for a missing or unknown key, 403 for a known key
 * outside the route's scope. Keys are compared as SHA-256 digests with timingSafeEqual, every
 * key every time, so neither a key's content nor its length nor its position leaks through timing.
 */
export function requireApiKey (keys: ApiKey[]) {
  const expected = keys.map(({ scope, key }) => ({ scope, digest: digest(key) }))
  return async function checkApiKey (request: FastifyRequest, reply: FastifyReply) {
    if (expected.length === 0) {
      request.caller = OPEN_CALLER
      return
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    const given = digest(match?.[1] ?? '')
    let found: Scope | undefined
    for (const key of expected) {
      if (timingSafeEqual(key.digest, given)) found ??= key.scope
    }
    if (!match || found === undefined) {
      return refuse(reply, 401, match ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer <key>')
    }
    const needed = request.routeOptions.config.scope ?? 'admin'
    if (!scopeAllows(found, needed)) {
      return refuse(reply, 403, `This key's scope (${found}) does not allow this call: it needs ${needed}`)
    }
    request.caller = { scope: found, keyId: given.toString('hex') }
  }
}
