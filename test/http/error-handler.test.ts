import { test } from 'tap'
import type { FastifyError } from 'fastify'
import { replyForError } from '../../src/http/error-handler.ts'
import { DatabaseUnavailableError, UnstorableValueError } from '../../src/db/unavailable.ts'
import { HubSpotRateLimitError, HubSpotUnavailableError } from '../../src/hubspot/errors.ts'

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code }) as FastifyError
const withStatus = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode }) as FastifyError

test('each error becomes one reply: 4xx as the request earned it, 503 for what is away, 500 for the rest', async (t) => {
  const cases: Array<[string, FastifyError, string, { statusCode: number, message: string | RegExp, retryAfterSeconds?: number }]> = [
    ['a 400 of the request', withStatus(400, 'body/email must match format "email"'), 'POST', { statusCode: 400, message: 'body/email must match format "email"' }],
    ['a 429 of the rate limit', withStatus(429, 'Rate limit exceeded, retry in 1 minute'), 'POST', { statusCode: 429, message: /Rate limit exceeded/ }],
    ['bad data, after a group commit split', new UnstorableValueError('The contact holds a value PostgreSQL cannot store') as FastifyError, 'POST', { statusCode: 400, message: /cannot store/ }],
    ['the database away, a post', new DatabaseUnavailableError('the database did not commit in time') as FastifyError, 'POST', { statusCode: 503, message: 'Nothing was stored: the database is unavailable; retry later', retryAfterSeconds: 5 }],
    ['the database away, a read', new DatabaseUnavailableError('connect ECONNREFUSED 10.0.0.5:5432') as FastifyError, 'GET', { statusCode: 503, message: 'The database is unavailable; retry later', retryAfterSeconds: 5 }],
    ['a login refused by PostgreSQL', pgError('28P01', 'password authentication failed for user "contact_sync"'), 'GET', { statusCode: 503, message: 'The database is unavailable; retry later', retryAfterSeconds: 5 }],
    ['a permission refused by PostgreSQL', pgError('42501', 'permission denied for table contact_requests'), 'POST', { statusCode: 503, message: /database is unavailable/, retryAfterSeconds: 5 }],
    ['HubSpot away', new HubSpotUnavailableError('HubSpot unreachable (ECONNREFUSED)', { retryable: true }) as unknown as FastifyError, 'GET', { statusCode: 503, message: 'HubSpot could not be asked (unreachable); retry later', retryAfterSeconds: 5 }],
    ['HubSpot busy for 2.2 s', new HubSpotRateLimitError('rate limited', { retryAfterMs: 2200 }, {}) as unknown as FastifyError, 'GET', { statusCode: 503, message: 'HubSpot could not be asked (rate_limited); retry later', retryAfterSeconds: 3 }],
    ['a wrong statement', pgError('42601', 'syntax error at or near "SELEC"'), 'GET', { statusCode: 500, message: 'Internal Server Error' }],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')") as FastifyError, 'GET', { statusCode: 500, message: 'Internal Server Error' }]
  ]
  for (const [what, error, method, expected] of cases) {
    const reply = replyForError(error, method)
    t.match(reply, { statusCode: expected.statusCode, message: expected.message }, what)
    t.equal(reply.retryAfterSeconds, expected.retryAfterSeconds, `${what}: Retry-After`)
    if (expected.statusCode >= 500) t.notMatch(reply.message, /syntax|password|permission|ECONNREFUSED|10\.0\.0\.5|undefined/, `${what}: no internal text`)
  }
})
