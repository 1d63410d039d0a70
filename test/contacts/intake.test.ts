import { test } from 'tap'
import { buildTestApp } from '../helpers/app.ts'
import { NEEDS_REAL_POSTGRES, freshDatabaseUrl, usingRealPostgres } from '../helpers/database.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { eventually } from '../helpers/sync-stack.ts'
import { UUID_V7 } from '../helpers/uuid.ts'

const json = { 'content-type': 'application/json' }

test('a contact is acknowledged with 202, its Location, and is stored before the reply', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'POST', url: '/v1/contacts', headers: json, payload: { email: '  Ada@Example.COM ', properties: { firstname: 'Ada', phone: 5551234, vip: undefined } } })
  t.equal(response.statusCode, 202)
  const body = response.json()
  t.match(body, { status: 'queued', email: 'ada@example.com' })
  // Version 7: time-ordered, so that each insert lands on the last page of the primary key's index
  t.match(body.id, UUID_V7)
  t.equal(response.headers.location, `/v1/contacts/requests/${body.id}`)

  const [stored] = await app.sql`SELECT email, properties FROM contact_requests WHERE id = ${body.id}`
  t.same(stored, { email: 'ada@example.com', properties: { firstname: 'Ada', phone: 5551234 } })

  const status = await app.inject(body.id ? `/v1/contacts/requests/${body.id}` : '')
  t.equal(status.statusCode, 200)
  t.match(status.json(), { id: body.id, status: 'queued', email: 'ada@example.com', attempts: 0 })
  t.ok(Date.parse(status.json().createdAt))
})

test('bad requests get clear 4xx answers, never a 5xx', async (t) => {
  const app = await buildTestApp(t)
  const post = (payload: string, headers: Record<string, string> = json) =>
    app.inject({ method: 'POST', url: '/v1/contacts', headers, payload })
  const cases: Array<[string, number, RegExp, Record<string, string>?]> = [
    ['{"email":', 400, /not valid JSON/],
    ['{}', 400, /email/],
    ['{"email":"not-an-email"}', 400, /email/],
    ['{"email":"a@b.co","properties":{"nickname":"x"}}', 400, /nickname is not an allowed property/],
    ['{"email":"a@b.co","properties":{"firstname":{"nested":true}}}', 400, /firstname/],
    ['{"email":"a@b.co","properties":{"firstname":["a"]}}', 400, /firstname/],
    [`{"email":"a@b.co","properties":{"message":"${'x'.repeat(65_537)}"}}`, 413, /too large/i],
    ['{"email":"a@b.co","properties":"firstname"}', 400, /properties/],
    ['{"email":"a@b.co","other":1}', 400, /other is not an allowed property/],
    ['{"email":"a@b.co","properties":{"email":"b@c.co"}}', 400, /differs/],
    ['email=a@b.co', 415, /Unsupported Media Type/, { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a@b.co', 415, /Unsupported Media Type/, { 'content-type': 'text/plain' }]
  ]
  for (const [payload, statusCode, message, headers] of cases) {
    const response = await post(payload, headers)
    t.equal(response.statusCode, statusCode, `${payload.slice(0, 60)} → ${statusCode}`)
    t.match(response.json(), { statusCode, error: String, message })
  }
  const [{ count }] = await app.sql`SELECT count(*)::int AS count FROM contact_requests`
  t.equal(count, 0, 'nothing was stored')
})

test('a property value of exactly 65,536 characters and every scalar type are accepted', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: json,
    payload: { email: 'long@example.com', properties: { message: 'x'.repeat(65_536), zip: 75001, company: null, city: '', state: true } }
  })
  t.equal(response.statusCode, 413, 'the whole body is over the 64 KiB limit')
  const fits = await app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: json,
    payload: { email: 'scalar@example.com', properties: { message: 'x'.repeat(60_000), zip: 75001, company: null, city: '', state: true } }
  })
  t.equal(fits.statusCode, 202)
})

test('an unknown or malformed request id is a 404', async (t) => {
  const app = await buildTestApp(t)
  for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
    const response = await app.inject(`/v1/contacts/requests/${id}`)
    t.equal(response.statusCode, 404)
    t.match(response.json(), { statusCode: 404, error: 'Not Found' })
  }
})

test('with API_KEYS set, /v1 and /api need a valid bearer key; health stays open', async (t) => {
  const app = await buildTestApp(t, { API_KEYS: 'key-one-0123456789,key-two-0123456789' })
  const post = (authorization?: string) => app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: { ...json, ...(authorization ? { authorization } : {}) },
    payload: { email: 'a@b.co' }
  })
  t.equal((await post()).statusCode, 401, 'no key')
  t.equal((await post('Bearer key-three-0123456789')).statusCode, 401, 'wrong key')
  t.equal((await post('Bearer key-one-012345678')).statusCode, 401, 'a prefix of a key')
  t.equal((await post('Basic key-one-0123456789')).statusCode, 401, 'not a bearer key')
  const refused = await post('Bearer wrong')
  t.match(refused.json(), { statusCode: 401, error: 'Unauthorized' })
  t.equal(refused.headers['www-authenticate'], 'Bearer')
  t.equal((await post('Bearer key-one-0123456789')).statusCode, 202)
  t.equal((await post('bearer key-two-0123456789')).statusCode, 202)
  t.equal((await app.inject('/v1/contacts?email=a@b.co')).statusCode, 401)
  t.equal((await app.inject('/api/hubspot/test')).statusCode, 401)
  t.equal((await app.inject('/health')).statusCode, 200)
  t.equal((await app.inject('/health/ready')).statusCode, 200)
})

test('the database unreachable: 503 with Retry-After within 2 s for posts and reads, and nothing acknowledged', { skip: usingRealPostgres ? false : NEEDS_REAL_POSTGRES }, async (t) => {
  const target = new URL(await freshDatabaseUrl(t))
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(() => proxy.close())
  const app = await buildTestApp(t, { DATABASE_URL: proxy.url(target.toString()), DATA_DIR: undefined })

  for (const mode of ['blackhole', 'refuse'] as const) {
    await proxy.setMode(mode)
    const started = performance.now()
    const response = await app.inject({ method: 'POST', url: '/v1/contacts', headers: json, payload: { email: `${mode}@example.com` } })
    const elapsed = performance.now() - started
    t.equal(response.statusCode, 503, `${mode}: 503`)
    t.ok(Number(response.headers['retry-after']) > 0, `${mode}: Retry-After ${response.headers['retry-after']}`)
    t.ok(elapsed < 2000, `${mode}: answered in ${Math.round(elapsed)} ms`)
    t.match(response.json(), { statusCode: 503, error: 'Service Unavailable' })

    // Reads are bounded the same way: a search or a status read never hangs on the database
    for (const url of ['/v1/contacts?email=reader@example.com', '/v1/contacts/requests/00000000-0000-4000-8000-000000000000']) {
      const readStarted = performance.now()
      const read = await app.inject({ method: 'GET', url })
      const readElapsed = performance.now() - readStarted
      t.equal(read.statusCode, 503, `${mode}: GET ${url.split('?')[0]} → 503`)
      t.ok(Number(read.headers['retry-after']) > 0, `${mode}: Retry-After`)
      t.ok(readElapsed < 2000, `${mode}: answered in ${Math.round(readElapsed)} ms`)
      t.match(read.json(), { statusCode: 503, error: 'Service Unavailable', message: /database/ })
    }
  }

  await proxy.setMode('forward')
  const waited = await eventually(async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/contacts', headers: json, payload: { email: 'back@example.com' } })
    return response.statusCode === 202
  }, 5000, 'a contact is accepted again')
  t.pass(`accepted again ${waited} ms after the database came back`)
  const emails = (await app.sql`SELECT email FROM contact_requests ORDER BY email`).map((row) => row.email)
  t.notOk(emails.includes('refuse@example.com'), 'a refused contact was not stored behind the caller\'s back')
  t.ok(emails.includes('back@example.com'))
})
