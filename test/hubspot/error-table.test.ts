// One test per row of HUBSPOT.md's error table: retried or not, the wait, the error raised.
// Timeouts need a server that never answers and live in timeout.test.ts
// (nock's delayed replies crash undici when the attempt is aborted).
import nock from 'nock'
import t from 'tap'
import type { Test } from 'tap'
import { CONTACTS_API_PATH } from '../../src/hubspot/api-version.ts'
import {
  HubSpotAuthError, HubSpotConflictError, HubSpotNotFoundError, HubSpotRateLimitError,
  HubSpotScopesError, HubSpotUnavailableError, HubSpotValidationError
} from '../../src/hubspot/errors.ts'
import { createTestClient } from '../helpers/hubspot-client.ts'

const BASE_URL = 'https://api.hubspot.test'
const UPSERT_PATH = `${CONTACTS_API_PATH}/batch/upsert`
const ADA = [{ email: 'ada@example.com', properties: { firstname: 'Ada' } }]
const UPSERTED = {
  status: 'COMPLETE',
  startedAt: '2026-01-01T00:00:00Z',
  completedAt: '2026-01-01T00:00:00Z',
  results: [{ id: '501', new: true, properties: { email: 'ada@example.com' }, createdAt: '', updatedAt: '', archived: false }]
}
const MAX_RETRIES = 3
const BASE_DELAY_MS = 100

t.before(() => nock.disableNetConnect())
t.afterEach(() => nock.cleanAll())
t.teardown(() => nock.enableNetConnect())

/** A client whose waits are recorded instead of slept; jitter fixed at half the ceiling. */
function clientRecordingWaits (t: Test) {
  const waits: number[] = []
  const client = createTestClient(t, {
    baseUrl: BASE_URL,
    maxRetries: MAX_RETRIES,
    retryBaseDelayMs: BASE_DELAY_MS,
    retryMaxDelayMs: 10_000,
    random: () => 0.5,
    sleep: async (ms) => { waits.push(ms) }
  })
  return { client, waits }
}

function hubspotError (category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: 'c0ffee00-0000-4000-8000-000000000001', category, ...extra }
}

t.test('400 VALIDATION_ERROR: not retried, raises a validation error naming the properties the portal lacks', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(400, hubspotError('VALIDATION_ERROR', 'Property values were not valid: [{"error":"PROPERTY_DOESNT_EXIST","name":"x"}]'))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotValidationError)
  t.match(error, { kind: 'validation', status: 400, category: 'VALIDATION_ERROR', correlationId: 'c0ffee00-0000-4000-8000-000000000001', retryable: false })
  t.same((error as HubSpotValidationError).missingProperties, ['x'])
  t.same(waits, [])

  // HubSpot's own wording: more fields per problem, in its order, several problems
  const text = 'Property values were not valid: [{"isValid":false,"message":"Property \\"fav_colour\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"fav_colour","localizedErrorMessage":"Property \\"fav_colour\\" does not exist","portalId":42},{"isValid":false,"message":"Email address x@y.invalid is invalid","error":"INVALID_EMAIL","name":"email"},{"isValid":false,"error":"PROPERTY_DOESNT_EXIST","name":"shoe_size"}]'
  nock(BASE_URL).post(UPSERT_PATH).reply(400, hubspotError('VALIDATION_ERROR', text))
  t.same((await t.rejects(client.upsertByEmail(ADA)) as HubSpotValidationError).missingProperties, ['fav_colour', 'shoe_size'])
})

t.test('400 INVALID_EMAIL: not retried, raises a validation error', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(400, hubspotError('VALIDATION_ERROR', 'Property values were not valid: [{"error":"INVALID_EMAIL","name":"email"}]'))
  t.match(await t.rejects(client.upsertByEmail(ADA)), { kind: 'validation', retryable: false, missingProperties: [] })
  t.same(waits, [])
})

t.test('401 INVALID_AUTHENTICATION: not retried, raises an auth error, state unauthorized', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(401, hubspotError('INVALID_AUTHENTICATION', 'Authentication credentials not found.'))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotAuthError)
  t.match(error, { kind: 'auth', reason: 'invalid_token', status: 401, retryable: false })
  t.same(waits, [])
  t.match(client.getState(), { state: 'unauthorized', lastError: { kind: 'auth', status: 401 } })
})

t.test('401 EXPIRED_AUTHENTICATION: not retried', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(401, hubspotError('EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired.'))
  t.match(await t.rejects(client.upsertByEmail(ADA)), { kind: 'auth', category: 'EXPIRED_AUTHENTICATION' })
  t.same(waits, [])
})

t.test('403 MISSING_SCOPES: not retried, raises a scopes error naming the scopes', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(403, hubspotError('MISSING_SCOPES', 'This app has not been granted all required scopes.', {
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }]
  }))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotScopesError)
  t.match(error, { kind: 'scopes', status: 403, retryable: false, requiredScopes: ['crm.objects.contacts.write'] })
  t.same(waits, [])
  t.equal(client.getState().state, 'forbidden')
})

t.test('404 OBJECT_NOT_FOUND: not retried; readByEmail answers null, other calls raise not_found', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).get(`${CONTACTS_API_PATH}/nobody%40example.com`).query({ idProperty: 'email', properties: 'firstname' })
    .reply(404, hubspotError('OBJECT_NOT_FOUND', 'Object not found.'))
  t.equal(await client.readByEmail('nobody@example.com', ['firstname']), null)
  nock(BASE_URL).post(UPSERT_PATH).reply(404, hubspotError('OBJECT_NOT_FOUND', 'Object not found.'))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotNotFoundError)
  t.match(error, { kind: 'not_found', retryable: false })
  t.same(waits, [])
})

t.test('409 CONFLICT: not retried, raises a conflict error with the existing id from the text', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(409, hubspotError('CONFLICT', 'Contact already exists. Existing ID: 123'))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotConflictError)
  t.match(error, { kind: 'conflict', existingId: '123', retryable: false })
  t.same(waits, [])
})

t.test('423 locked: retried after 2 s or more', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(423, hubspotError('LOCKED', 'Record is locked')).post(UPSERT_PATH).reply(200, UPSERTED)
  t.match(await client.upsertByEmail(ADA), [{ ok: true, hubspotId: '501', created: true }])
  t.equal(waits.length, 1)
  t.ok(waits[0] >= 2000, `waited ${waits[0]} ms`)
})

t.test('429 TEN_SECONDLY_ROLLING with Retry-After: retried after Retry-After', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL)
    .post(UPSERT_PATH).reply(429, { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' }, { 'Retry-After': '3' })
    .post(UPSERT_PATH).reply(200, UPSERTED)
  t.match(await client.upsertByEmail(ADA), [{ ok: true }])
  t.equal(waits.length, 1)
  t.ok(waits[0] >= 3000, `waited ${waits[0]} ms`)
})

t.test('429 without Retry-After: waits out X-HubSpot-RateLimit-Interval-Milliseconds', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL)
    .post(UPSERT_PATH).reply(429, { status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' }, {
      'X-HubSpot-RateLimit-Max': '100', 'X-HubSpot-RateLimit-Remaining': '0', 'X-HubSpot-RateLimit-Interval-Milliseconds': '1500'
    })
    .post(UPSERT_PATH).reply(200, UPSERTED)
  t.match(await client.upsertByEmail(ADA), [{ ok: true }])
  t.equal(waits.length, 1)
  t.ok(waits[0] >= 1500, `waited ${waits[0]} ms`)
})

t.test('429 SECONDLY without headers: waits out the one-second policy window', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL)
    .post(UPSERT_PATH).reply(429, { status: 'error', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' })
    .post(UPSERT_PATH).reply(200, UPSERTED)
  t.match(await client.upsertByEmail(ADA), [{ ok: true }])
  t.equal(waits.length, 1)
  t.ok(waits[0] >= 1000, `waited ${waits[0]} ms`)
})

t.test('429 DAILY: not retried, raises a rate-limit error with the reset time (next UTC midnight)', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(429, { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY' })
  const error = await t.rejects(client.upsertByEmail(ADA)) as HubSpotRateLimitError
  t.type(error, HubSpotRateLimitError)
  t.match(error, { kind: 'rate_limit', policyName: 'DAILY', retryable: true })
  const midnight = new Date()
  midnight.setUTCHours(24, 0, 0, 0)
  t.equal(error.resetAt?.toISOString(), midnight.toISOString())
  t.ok(error.retryAfterMs > 0 && error.retryAfterMs <= 86_400_000)
  t.same(waits, [])
  t.equal(client.getState().state, 'rate_limited')
})

t.test('429 that asks for a longer wait than maxRetryWaitMs: raised for the caller to reschedule', async (t) => {
  const waits: number[] = []
  const client = createTestClient(t, { baseUrl: BASE_URL, maxRetryWaitMs: 5000, sleep: async (ms) => { waits.push(ms) } })
  nock(BASE_URL).post(UPSERT_PATH).reply(429, { status: 'error', policyName: 'TEN_SECONDLY_ROLLING' }, { 'Retry-After': '30' })
  t.match(await t.rejects(client.upsertByEmail(ADA)), { kind: 'rate_limit', retryAfterMs: 30_000, retryable: true })
  t.same(waits, [])
})

t.test('477 migration in progress: retried after Retry-After', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).reply(477, hubspotError('MIGRATION_IN_PROGRESS', 'Portal migration in progress'), { 'Retry-After': '4' })
    .post(UPSERT_PATH).reply(200, UPSERTED)
  t.match(await client.upsertByEmail(ADA), [{ ok: true }])
  t.equal(waits.length, 1)
  t.ok(waits[0] >= 4000, `waited ${waits[0]} ms`)
})

for (const status of [500, 502, 503, 504, 521, 523, 524]) {
  t.test(`${status}: retried with jittered backoff`, async (t) => {
    const { client, waits } = clientRecordingWaits(t)
    nock(BASE_URL).post(UPSERT_PATH).reply(status, hubspotError('INTERNAL_ERROR', 'transient')).post(UPSERT_PATH).reply(200, UPSERTED)
    t.match(await client.upsertByEmail(ADA), [{ ok: true, hubspotId: '501' }])
    // Full jitter with random() = 0.5: half the first ceiling.
    t.same(waits, [BASE_DELAY_MS * 0.5])
  })
}

t.test('503 on every attempt: maxRetries retries with doubling ceilings, then an unavailable error', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  const scope = nock(BASE_URL).post(UPSERT_PATH).times(MAX_RETRIES + 1).reply(503, hubspotError('SERVICE_UNAVAILABLE', 'down'))
  const error = await t.rejects(client.upsertByEmail(ADA))
  t.type(error, HubSpotUnavailableError)
  t.match(error, { kind: 'unavailable', status: 503, retryable: true })
  t.ok(scope.isDone(), `${MAX_RETRIES + 1} attempts made`)
  t.same(waits, [50, 100, 200])
  t.equal(client.getState().state, 'unreachable')
})

for (const status of [522, 525, 526]) {
  t.test(`${status} edge/origin problem: not retried`, async (t) => {
    const { client, waits } = clientRecordingWaits(t)
    nock(BASE_URL).post(UPSERT_PATH).reply(status, '<html>edge error</html>')
    t.match(await t.rejects(client.upsertByEmail(ADA)), { kind: 'unavailable', status, retryable: false })
    t.same(waits, [])
  })
}

for (const code of ['ECONNRESET', 'ECONNREFUSED']) {
  t.test(`network ${code}: retried with backoff`, async (t) => {
    const { client, waits } = clientRecordingWaits(t)
    nock(BASE_URL).post(UPSERT_PATH).replyWithError(Object.assign(new Error(`simulated ${code}`), { code }))
      .post(UPSERT_PATH).reply(200, UPSERTED)
    t.match(await client.upsertByEmail(ADA), [{ ok: true }])
    t.same(waits, [BASE_DELAY_MS * 0.5])
  })
}

t.test('network reset on every attempt: an unavailable error carrying the network code', async (t) => {
  const { client, waits } = clientRecordingWaits(t)
  nock(BASE_URL).post(UPSERT_PATH).times(MAX_RETRIES + 1).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
  t.match(await t.rejects(client.upsertByEmail(ADA)), { kind: 'unavailable', networkCode: 'ECONNRESET', retryable: true })
  t.equal(waits.length, MAX_RETRIES)
})
