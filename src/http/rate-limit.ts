import type { FastifyInstance, FastifyRequest } from 'fastify'
import rateLimit from '@fastify/rate-limit'

export interface RateLimits {
  /** Posts per minute per client address, for intake keys (public forms); 0: no limit. */
  intakePerMinute: number
  /** Requests per minute per read or admin key; 0: no limit. */
  keyPerMinute: number
}

/**
 * Which budget a request counts against: an intake key may be public, so its callers are told
 * apart by address (X-Forwarded-For from a trusted proxy); any other key is one client.
 */
function rateLimitKey (request: Pick<FastifyRequest, 'caller' | 'ip'>): string {
  const caller = request.caller
  return caller === undefined || caller.scope === 'intake' || caller.keyId === '' ? `address:${request.ip}` : `key:${caller.keyId}`
}

function perMinuteLimit (request: Pick<FastifyRequest, 'caller'>, limits: RateLimits): number {
  return request.caller?.scope === 'intake' ? limits.intakePerMinute : limits.keyPerMinute
}

/**
 * Rate limits for the routes of one scope (/v1, /api), counted after the key check: a 429 with
 * Retry-After and the RateLimit-* headers. Per process: behind one active color that is the service's.
 */
export async function limitRate (scope: FastifyInstance, limits: RateLimits): Promise<void> {
  await scope.register(rateLimit, {
    timeWindow: 60_000,
    hook: 'onRequest',
    enableDraftSpec: true,
    keyGenerator: rateLimitKey,
    max: (request) => perMinuteLimit(request, limits),
    allowList: (request) => perMinuteLimit(request, limits) === 0
  })
}
