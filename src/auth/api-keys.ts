import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
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

// One-shot: a Hash object per request (createHash, update, digest) was about 4 % of the service's busy time under intake load
function digest (value: string): Buffer {
  return hash('sha256', value, 'buffer')
}

function refuse (reply: FastifyReply, statusCode: 401 | 403, message: string): void {
  if (statusCode === 401) reply.header('www-authenticate', 'Bearer')
  reply.code(statusCode).send({ statusCode, error: statusCode === 401 ? 'Unauthorized' : 'Forbidden', message })
}

/**
 * Whether `previous` and `given` are the same text, in a time that depends on `given`'s length
 * only: behind NGINX one connection carries several callers' requests, so `previous` may be
 * another caller's header (no early exit, and `previous` is read in bounds whatever its length).
 */
function sameHeader (previous: string, given: string): boolean {
  if (previous.length === 0) return given.length === 0
  let difference = previous.length ^ given.length
  for (let i = 0; i < given.length; i++) difference |= previous.charCodeAt(i % previous.length) ^ given.charCodeAt(i)
  return difference === 0
}

interface Verdict { header: string, wellFormed: boolean, found: Caller | undefined }

/**
 * Bearer-key check for /v1 and /api: 401 for a missing or unknown key, 403 for a known key
 * outside the route's scope. Keys are compared as SHA-256 digests with timingSafeEqual, every
 * key every time, so neither a key's content nor its length nor its position leaks through timing.
 * A keep-alive connection sends the same header on each request: its last verdict is reused
 * when the header is the same (hashing it on every request was 4 % of the service's busy time).
 */
export function requireApiKey (keys: ApiKey[]) {
  // The caller a key makes is the same on every request: built once (a digest's hex included)
  const expected = keys.map(({ scope, key }) => {
    const keyDigest = digest(key)
    return { digest: keyDigest, caller: Object.freeze<Caller>({ scope, keyId: keyDigest.toString('hex') }) }
  })
  const lastVerdicts = new WeakMap<object, Verdict>()

  function judge (header: string): Verdict {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    const given = digest(match?.[1] ?? '')
    let found: Caller | undefined
    for (const key of expected) {
      if (timingSafeEqual(key.digest, given)) found ??= key.caller
    }
    return { header, wellFormed: match !== null, found }
  }

  // A callback hook, not an async one: no promise per request on the hot path
  return function checkApiKey (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (expected.length === 0) {
      request.caller = OPEN_CALLER
      done()
      return
    }
    const header = request.headers.authorization ?? ''
    const connection = request.raw.socket
    let verdict = lastVerdicts.get(connection)
    if (verdict === undefined || !sameHeader(verdict.header, header)) {
      verdict = judge(header)
      lastVerdicts.set(connection, verdict)
    }
    const { wellFormed, found } = verdict
    if (!wellFormed || found === undefined) {
      refuse(reply, 401, wellFormed ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer <key>')
      return
    }
    const needed = request.routeOptions.config.scope ?? 'admin'
    if (!scopeAllows(found.scope, needed)) {
      refuse(reply, 403, `This key's scope (${found.scope}) does not allow this call: it needs ${needed}`)
      return
    }
    request.caller = found
    done()
  }
}
