import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../db/unavailable.ts'
import { HubSpotError, connectionFailureReason, retryAfterSeconds } from '../hubspot/errors.ts'

// How soon a client should retry when the database or HubSpot is away
const DEFAULT_RETRY_AFTER_SECONDS = 5

interface Reply { statusCode: number, message: string, retryAfterSeconds?: number }

/**
 * What the caller is told: a 4xx says what was wrong with the request; a 503 says what is
 * away, never with PostgreSQL's or HubSpot's own text (it may name hosts, users or tables);
 * anything else is a plain 500.
 */
export function replyForError (error: FastifyError, method: string): Reply {
  if (error.validation === undefined && (error instanceof DatabaseUnavailableError || isDatabaseUnavailable(error))) {
    const what = method === 'POST' ? 'Nothing was stored: the' : 'The'
    return { statusCode: 503, message: `${what} database is unavailable; retry later`, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS }
  }
  if (error instanceof HubSpotError) {
    return {
      statusCode: 503,
      // Its own text may name internal hosts: the reason is enough for a caller
      message: `HubSpot could not be asked (${connectionFailureReason(error) ?? error.kind}); retry later`,
      retryAfterSeconds: retryAfterSeconds(error) ?? DEFAULT_RETRY_AFTER_SECONDS
    }
  }
  const statusCode = error.statusCode
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return { statusCode, message: error.message }
  return { statusCode: 500, message: 'Internal Server Error' }
}

/** The one error path: every error becomes Fastify's shape; 4xx logged at debug without a stack, 5xx at error. */
export function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { statusCode, message, retryAfterSeconds } = replyForError(error, request.method)
  if (statusCode >= 500) request.log.error({ err: error, statusCode }, message)
  else request.log.debug({ statusCode, code: error.code }, error.message)
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message })
}
