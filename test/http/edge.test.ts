import { test } from 'tap'
import { Writable } from 'node:stream'
import { buildApp, loggerOptions } from '../../src/app.ts'
import { buildTestApp } from '../helpers/app.ts'
import { testEnv } from '../helpers/database.ts'
import { inParallel } from '../helpers/sync-stack.ts'

const INTAKE_KEY = 'form-key-0123456789abcdef'
const READ_KEY = 'support-key-0123456789abcdef'
const ADMIN_KEY = 'operator-key-0123456789abcdef'
const API_KEYS = `intake:${INTAKE_KEY},read:${READ_KEY},admin:${ADMIN_KEY}`

test('an intake key is limited per client address (20 a minute by default); another address, and read and admin keys, are not held up', async (t) => {
  const app = await buildTestApp(t, { API_KEYS })
  // Behind NGINX: the connection comes from loopback (trusted), the client is X-Forwarded-For
  const post = (key: string, client: string, remoteAddress = '127.0.0.1') => app.inject({
    method: 'POST',
    url: '/v1/contacts',
    remoteAddress,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': client },
    payload: { email: `spam-${Math.random()}@example.com` }
  })

  const statuses: number[] = []
  const refusalHeaders = new Set<string>()
  await inParallel(Array.from({ length: 1000 }), 20, async () => {
    const response = await post(INTAKE_KEY, '198.51.100.7')
    statuses.push(response.statusCode)
    const { 'retry-after': retryAfter, 'ratelimit-limit': limit, 'ratelimit-remaining': remaining, 'ratelimit-reset': reset } = response.headers
    const secondsOk = Number(retryAfter) > 0 && Number(retryAfter) <= 60 && Number(reset) > 0 && Number(reset) <= 60
    if (response.statusCode === 429) refusalHeaders.add(`limit ${limit}, remaining ${remaining}, Retry-After and reset within a minute: ${secondsOk}`)
  })
  t.equal(statuses.filter((status) => status === 202).length, 20, 'the first 20 accepted')
  t.equal(statuses.filter((status) => status === 429).length, 980, 'the rest refused with 429')
  t.same([...refusalHeaders], ['limit 20, remaining 0, Retry-After and reset within a minute: true'], 'every 429 says when to come back')
  const [{ count }] = await app.sql`SELECT count(*)::int AS count FROM contact_requests`
  t.equal(count, 20, 'only the accepted ones were stored')

  const refused = await post(INTAKE_KEY, '198.51.100.7')
  t.match(refused.json(), { statusCode: 429, error: 'Too Many Requests', message: String })

  t.equal((await post(INTAKE_KEY, '198.51.100.8')).statusCode, 202, 'another address through the trusted proxy is unaffected')
  t.equal((await post(INTAKE_KEY, '198.51.100.99', '203.0.113.5')).statusCode, 202, 'a direct client has its own budget')
  const spoofed = await Promise.all(Array.from({ length: 25 }, () => post(INTAKE_KEY, `192.0.2.${Math.floor(Math.random() * 250)}`, '203.0.113.5')))
  t.ok(spoofed.some((response) => response.statusCode === 429), 'an untrusted client cannot pick its address with X-Forwarded-For')

  for (const key of [READ_KEY, ADMIN_KEY]) {
    const answers = await Promise.all(Array.from({ length: 60 }, () => post(key, '198.51.100.7')))
    t.ok(answers.every((response) => response.statusCode === 202), 'read and admin keys are not limited by default')
  }
})

test('KEY_RATE_PER_MINUTE limits each read or admin key, whatever its address; INTAKE_RATE_PER_MINUTE=0 lifts the intake limit', async (t) => {
  const app = await buildTestApp(t, { API_KEYS, KEY_RATE_PER_MINUTE: '5', INTAKE_RATE_PER_MINUTE: '0' })
  const search = (key: string, client: string) => app.inject({
    url: '/v1/contacts?email=nobody@example.com',
    headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client }
  })
  const statuses = []
  for (let i = 0; i < 8; i++) statuses.push((await search(READ_KEY, `198.51.100.${i}`)).statusCode)
  t.same(statuses.map((status) => status === 429), [false, false, false, false, false, true, true, true])
  t.not((await search(ADMIN_KEY, '198.51.100.1')).statusCode, 429, 'another key has its own budget')

  const posts = await Promise.all(Array.from({ length: 50 }, (_, i) => app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: { authorization: `Bearer ${INTAKE_KEY}`, 'content-type': 'application/json' },
    payload: { email: `form-${i}@example.com` }
  })))
  t.ok(posts.every((response) => response.statusCode === 202), 'no intake limit')
})

test('CORS: a preflight from a listed origin is answered, any other origin gets no CORS headers', async (t) => {
  const app = await buildTestApp(t, { API_KEYS, CORS_ORIGINS: 'https://www.example.com,https://shop.example.com' })
  const preflight = (origin: string, url = '/v1/contacts') => app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' }
  })
  const listed = await preflight('https://www.example.com')
  t.equal(listed.statusCode, 204)
  t.equal(listed.headers['access-control-allow-origin'], 'https://www.example.com')
  t.equal(listed.headers['access-control-allow-methods'], 'POST')
  t.equal(listed.headers['access-control-allow-headers'], 'authorization, content-type, prefer, idempotency-key')

  const other = await preflight('https://evil.example')
  t.not(other.statusCode, 204)
  t.notOk(Object.keys(other.headers).some((name) => name.startsWith('access-control-')), 'no CORS header for another origin')
  const otherRoute = await preflight('https://www.example.com', '/v1/contacts/requests/x')
  t.notOk(otherRoute.headers['access-control-allow-origin'], 'only POST /v1/contacts is open to browsers')

  const post = (origin: string) => app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: { origin, authorization: `Bearer ${INTAKE_KEY}`, 'content-type': 'application/json' },
    payload: { email: 'browser@example.com' }
  })
  const fromPage = await post('https://shop.example.com')
  t.equal(fromPage.statusCode, 202)
  t.equal(fromPage.headers['access-control-allow-origin'], 'https://shop.example.com')
  t.match(String(fromPage.headers['access-control-expose-headers']), /location/)
  t.notOk((await post('https://evil.example')).headers['access-control-allow-origin'])
})

test('without CORS_ORIGINS no CORS header is ever sent', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'OPTIONS', url: '/v1/contacts', headers: { origin: 'https://www.example.com', 'access-control-request-method': 'POST' } })
  t.notOk(Object.keys(response.headers).some((name) => name.startsWith('access-control-')))
})

test('a long path is a short 414 in Fastify\'s shape, and an unknown route does not echo it either', async (t) => {
  const app = await buildTestApp(t)
  const long = await app.inject(`/v1/contacts/requests/${'x'.repeat(5000)}`)
  t.equal(long.statusCode, 414)
  t.same(long.json(), { statusCode: 414, error: 'URI Too Long', message: 'A path parameter is longer than 100 characters' })
  const unknown = await app.inject(`/${'y'.repeat(5000)}`)
  t.equal(unknown.statusCode, 404)
  t.ok(unknown.body.length < 300, `${unknown.body.length} bytes`)
  t.match(unknown.json(), { statusCode: 404, error: 'Not Found' })
})

test('a caller\'s X-Request-ID is kept only when short and plain', async (t) => {
  const app = await buildTestApp(t)
  const idOf = async (value: string) => (await app.inject({ url: '/health/live', headers: { 'x-request-id': value } })).headers['x-request-id']
  t.equal(await idOf('nginx-3f2a:17.5_b'), 'nginx-3f2a:17.5_b')
  for (const value of ['x'.repeat(65), 'has space', 'line\tbreak', '{"json":1}', '']) {
    t.match(await idOf(value), /^[0-9a-f-]{36}$/, `${JSON.stringify(value.slice(0, 20))} replaced by a UUID`)
  }
})

test('4xx are logged at debug without stacks, 5xx at error; nothing at info per request', async (t) => {
  const lines: Array<{ level: number, msg: string, err?: { stack?: string } }> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const app = await buildApp({ env: await testEnv(t, { API_KEYS, LOG_LEVEL: 'debug' }), logger: { ...loggerOptions('debug') as object, stream } })
  t.teardown(() => app.close())
  await app.ready()
  const bad = () => app.inject({ method: 'POST', url: '/v1/contacts', headers: { authorization: `Bearer ${INTAKE_KEY}`, 'content-type': 'application/json' }, payload: '{"email":"nope"}' })
  for (let i = 0; i < 10; i++) t.equal((await bad()).statusCode, 400)
  await app.inject('/no-such-route')
  await app.inject({ url: '/v1/contacts?email=x@example.com', headers: { authorization: 'Bearer wrong-key-0123456789' } })

  const requestLines = lines.filter((line) => line.msg !== undefined && !/migrations|embedded|sync worker|leads the sync|Server listening/.test(line.msg))
  t.ok(requestLines.length > 10)
  t.notOk(requestLines.some((line) => line.level >= 30), 'no request line at info or above')
  t.notOk(requestLines.some((line) => line.err?.stack), 'no stack for a 4xx')

  // A 5xx: a statement that fails for a reason of its own (a bug), logged at error with its stack
  await app.sql`ALTER TABLE contact_requests RENAME TO contact_requests_moved`
  t.teardown(() => app.sql`ALTER TABLE contact_requests_moved RENAME TO contact_requests`)
  const failed = await app.inject({ method: 'POST', url: '/v1/contacts', headers: { authorization: `Bearer ${INTAKE_KEY}`, 'content-type': 'application/json' }, payload: { email: 'bug@example.com' } })
  t.equal(failed.statusCode, 500)
  t.same(failed.json(), { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' }, 'PostgreSQL\'s text stays in the log')
  const errors = lines.filter((line) => line.level >= 50)
  t.equal(errors.length, 1, 'one error line')
  t.match(errors[0].err?.stack, /contact_requests/, 'with the cause and its stack')
})
