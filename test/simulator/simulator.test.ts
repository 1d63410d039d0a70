// The simulator behaves like HubSpot where the service depends on it.
import t from 'tap'
import type { Test } from 'tap'
import { request } from 'undici'
import { CONTACTS_API_PATH } from '../../src/hubspot/api-version.ts'
import { WRITE_SCOPE } from '../../src/simulator/simulator.ts'
import { openApiSpecMissing, openApiSpecPath } from '../helpers/hubspot-openapi.ts'
import { startTestSimulator, SIMULATOR_TOKEN } from '../helpers/hubspot-simulator.ts'

type Call = { status: number, headers: Record<string, string | string[] | undefined>, body: any }

function caller (baseUrl: string, token = SIMULATOR_TOKEN) {
  return async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Call> => {
    const response = await request(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await response.body.text()
    return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
  }
}

const upsertInput = (email: string, properties: Record<string, string> = {}) => ({ id: email, idProperty: 'email', properties: { email, ...properties } })
const UPSERT = `${CONTACTS_API_PATH}/batch/upsert`

async function simulatorWithCaller (t: Test, options: Parameters<typeof startTestSimulator>[1] = {}) {
  const simulator = await startTestSimulator(t, options)
  return { simulator, call: caller(simulator.url) }
}

t.test('batch upsert: emails unique case-insensitively, with the new flag', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  const created = await call('POST', UPSERT, { inputs: [upsertInput('Ada@Example.com', { firstname: 'Ada' })] })
  t.equal(created.status, 200)
  t.match(created.body.results, [{ id: String, new: true, properties: { email: 'ada@example.com', firstname: 'Ada' } }])
  const updated = await call('POST', UPSERT, { inputs: [upsertInput('ada@example.com', { lastname: 'Lovelace' })] })
  t.match(updated.body.results, [{ id: created.body.results[0].id, new: false }])
  t.equal(simulator.contacts().length, 1)
})

t.test('batch upsert rejects the whole batch: shared email, unknown property, invalid email, over 100 inputs', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  const duplicate = await call('POST', UPSERT, { inputs: [upsertInput('a@example.com'), upsertInput('A@example.com')] })
  t.match(duplicate, { status: 400, body: { category: 'VALIDATION_ERROR', message: /Duplicate IDs/ } })
  const unknown = await call('POST', UPSERT, { inputs: [upsertInput('a@example.com'), upsertInput('b@example.com', { shoe_size: '44' })] })
  t.match(unknown, { status: 400, body: { category: 'VALIDATION_ERROR', message: /PROPERTY_DOESNT_EXIST.*b@example\.com/ } })
  t.notOk('context' in unknown.body, 'the input is named only in the message')
  const invalid = await call('POST', UPSERT, { inputs: [upsertInput('not-an-email')] })
  t.match(invalid, { status: 400, body: { message: /INVALID_EMAIL/ } })
  const tooMany = await call('POST', UPSERT, { inputs: Array.from({ length: 101 }, (_, index) => upsertInput(`p${index}@example.com`)) })
  t.match(tooMany, { status: 400, body: { category: 'VALIDATION_ERROR' } })
  t.equal(simulator.contacts().length, 0)
})

t.test('read by email or id; 404 OBJECT_NOT_FOUND; list', async (t) => {
  const { call } = await simulatorWithCaller(t)
  const { body } = await call('POST', UPSERT, { inputs: [upsertInput('ada@example.com', { firstname: 'Ada' })] })
  const id = body.results[0].id
  t.match(await call('GET', `${CONTACTS_API_PATH}/ada%40example.com?idProperty=email&properties=firstname`), { status: 200, body: { id, properties: { firstname: 'Ada' } } })
  t.match(await call('GET', `${CONTACTS_API_PATH}/${id}`), { status: 200, body: { id } })
  t.match(await call('GET', `${CONTACTS_API_PATH}/nobody%40example.com?idProperty=email`), { status: 404, body: { status: 'error', category: 'OBJECT_NOT_FOUND', correlationId: String } })
  t.match(await call('GET', `${CONTACTS_API_PATH}?limit=1`), { status: 200, body: { results: [{ id }] } })
})

t.test('create answers 201, then 409 CONFLICT naming the existing id in the text', async (t) => {
  const { call } = await simulatorWithCaller(t)
  const created = await call('POST', CONTACTS_API_PATH, { properties: { email: 'ada@example.com' }, associations: [] })
  t.equal(created.status, 201)
  const conflict = await call('POST', CONTACTS_API_PATH, { properties: { email: 'ada@example.com' }, associations: [] })
  t.match(conflict, { status: 409, body: { category: 'CONFLICT', message: `Contact already exists. Existing ID: ${created.body.id}` } })
})

t.test('search: EQ on email, counted, its own 5 per second limit without rate headers', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  await call('POST', UPSERT, { inputs: [upsertInput('ada@example.com')] })
  const searchBody = { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'ada@example.com' }] }], properties: ['email'], sorts: [], limit: 1, after: '0' }
  const statuses: number[] = []
  for (let index = 0; index < 6; index++) {
    const answer = await call('POST', `${CONTACTS_API_PATH}/search`, searchBody)
    statuses.push(answer.status)
    if (index === 0) {
      t.match(answer.body, { total: 1, results: [{ properties: { email: 'ada@example.com' } }] })
      t.equal(answer.headers['x-hubspot-ratelimit-max'], undefined)
    }
    if (answer.status === 429) t.equal(answer.body.policyName, 'SECONDLY')
  }
  t.same(statuses, [200, 200, 200, 200, 200, 429])
  t.equal(simulator.stats().searchCalls, 5)
})

t.test('rolling window: X-HubSpot-RateLimit headers and HubSpot\'s 429 body', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t, { rateLimit: { max: 3, intervalMs: 400 } })
  const answers = []
  for (let index = 0; index < 4; index++) answers.push(await call('GET', `${CONTACTS_API_PATH}?limit=1`))
  t.same(answers.map((answer) => answer.headers['x-hubspot-ratelimit-remaining']), ['2', '1', '0', '0'])
  t.match(answers[0].headers, { 'x-hubspot-ratelimit-max': '3', 'x-hubspot-ratelimit-interval-milliseconds': '400', 'x-hubspot-ratelimit-daily': String, 'x-hubspot-ratelimit-daily-remaining': String })
  t.match(answers[3], { status: 429, body: { status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING', message: 'You have reached your ten_secondly_rolling limit.', correlationId: String } })
  t.equal(simulator.stats().rateLimited, 1)
  await new Promise((resolve) => setTimeout(resolve, 450))
  t.equal((await call('GET', `${CONTACTS_API_PATH}?limit=1`)).status, 200, 'the window rolled on')
})

t.test('401 INVALID_AUTHENTICATION for a wrong or revoked token; 403 MISSING_SCOPES with the scope', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t, { scopes: [WRITE_SCOPE] })
  t.match(await caller(simulator.url, 'wrong')('GET', `${CONTACTS_API_PATH}?limit=1`), { status: 401, body: { category: 'INVALID_AUTHENTICATION' } })
  t.match(await call('GET', `${CONTACTS_API_PATH}?limit=1`), {
    status: 403,
    body: { category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['crm.objects.contacts.read'] } }] }
  })
  simulator.revokeToken()
  t.match(await call('POST', UPSERT, { inputs: [upsertInput('a@example.com')] }), { status: 401 })
  simulator.restoreToken()
  t.match(await call('POST', UPSERT, { inputs: [upsertInput('a@example.com')] }), { status: 200 })
  simulator.setToken('rotated')
  t.match(await call('POST', UPSERT, { inputs: [upsertInput('a@example.com')] }), { status: 401 })
})

t.test('faults switched over HTTP: 5xx for N requests, latency, storm, reset, hang; reset clears all', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  const list = `${CONTACTS_API_PATH}?limit=1`
  await call('POST', '/__simulator/faults', { failure: { mode: 'status', status: 502, count: 2 } })
  t.same([(await call('GET', list)).status, (await call('GET', list)).status, (await call('GET', list)).status], [502, 502, 200])

  await call('POST', '/__simulator/faults', { latencyMs: 150 })
  const startedAt = performance.now()
  await call('GET', list)
  t.ok(performance.now() - startedAt >= 140, 'latency added')
  await call('DELETE', '/__simulator/faults')

  await call('POST', '/__simulator/faults', { failure: { mode: 'rate_limit_storm', retryAfterSeconds: 1 } })
  const storm = await call('GET', list)
  t.match(storm, { status: 429, headers: { 'retry-after': '1' }, body: { policyName: 'TEN_SECONDLY_ROLLING' } })
  t.equal((await call('GET', list)).status, 429, 'until cleared')
  await call('DELETE', '/__simulator/faults')

  await call('POST', '/__simulator/faults', { failure: { mode: 'reset', count: 1 } })
  await t.rejects(call('GET', list), 'the connection was reset')

  simulator.setFaults({ failure: { mode: 'hang', count: 1 } })
  await t.rejects(request(`${simulator.url}${list}`, { headers: { authorization: `Bearer ${SIMULATOR_TOKEN}` }, signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' })

  await call('POST', '/__simulator/faults', { tokenRevoked: true })
  t.equal((await call('GET', list)).status, 401)
  const state = await call('GET', '/__simulator/state')
  t.match(state.body, { faults: { tokenRevoked: true }, stats: { requests: Number, rateLimited: 2 } })

  await call('POST', '/__simulator/reset')
  t.match(simulator.faults(), { latencyMs: 0, failure: null, tokenRevoked: false })
  t.equal(simulator.stats().requests, 0)
  t.equal((await call('GET', list)).status, 200)
  t.same((await call('GET', '/__simulator/contacts')).body, [])
})

t.test('a fault for a period: a 429 storm with Retry-After for forMs from its first answer, then the ordinary answers', async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  const list = `${CONTACTS_API_PATH}?limit=1`
  // 600 ms: a busy machine's late timers still leave the second call well inside the period
  await call('POST', '/__simulator/faults', { failure: { mode: 'rate_limit_storm', retryAfterSeconds: 1, forMs: 600 } })
  await new Promise((resolve) => setTimeout(resolve, 650))
  const first = await call('GET', list)
  t.match(first, { status: 429, headers: { 'retry-after': '1' }, body: { policyName: 'TEN_SECONDLY_ROLLING' } }, 'the period starts with the first answer, not when it was set')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal((await call('GET', list)).status, 429, 'still within the period')
  await new Promise((resolve) => setTimeout(resolve, 450))
  t.equal((await call('GET', list)).status, 200, 'over after forMs')
  t.equal(simulator.faults().failure, null, 'and cleared')
  t.equal(simulator.stats().rateLimited, 2)

  simulator.setFaults({ failure: { mode: 'status', status: 503, forMs: 100 } })
  t.equal((await call('GET', list)).status, 503, 'any mode may have a period')
  simulator.setFaults({ failure: { mode: 'status', status: 502, forMs: 100 } })
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal((await call('GET', list)).status, 502, 'a new fault starts its own period, at its own first answer')
})

t.test('bodies are checked against HubSpot\'s OpenAPI spec and mismatches recorded', { skip: openApiSpecPath === undefined && openApiSpecMissing }, async (t) => {
  const { simulator, call } = await simulatorWithCaller(t)
  const numberValue = await call('POST', UPSERT, { inputs: [{ id: 'a@example.com', idProperty: 'email', properties: { zip: 12345 } }] })
  t.match(numberValue, { status: 400, body: { subCategory: 'SIMULATOR_SCHEMA_VIOLATION', message: /must be string/ } })
  const oldShape = await call('POST', UPSERT, { contacts: [{ email: 'a@example.com' }] })
  t.equal(oldShape.status, 400)
  t.match(simulator.schemaViolations(), [
    { operationId: 'post-/crm/v3/objects/contacts/batch/upsert_upsert', errors: ['/inputs/0/properties/zip must be string'] },
    { errors: [/required property 'inputs'/] }
  ])
  t.equal(simulator.contacts().length, 0)
})
