import { test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { connectSql, type Sql } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { DatabaseUnavailableError } from '../../src/db/unavailable.ts'
import { createIdempotentIntake } from '../../src/contacts/idempotent-intake.ts'
import { insertRequests } from '../../src/store/requests-table.ts'
import { buildTestApp } from '../helpers/app.ts'
import { freshDatabaseUrl, testEnv, usingRealPostgres } from '../helpers/database.ts'
import { STARTUP_TIMEOUT_MS, startServer, waitForStatus } from '../helpers/process.ts'
import type { Teardown } from '../helpers/teardown.ts'

const KEY_ONE = 'intake-key-one-0123456789'
const KEY_TWO = 'intake-key-two-0123456789'
const ada = { email: 'ada@example.com', properties: { firstname: 'Ada', lastname: 'Lovelace' } }

/** What a caller sees of a reply: the same for a replay as for the first post. */
interface Seen { statusCode: number, body: any, location: unknown }

async function post (app: FastifyInstance, body: unknown, headers: Record<string, string>): Promise<Seen> {
  const response = await app.inject({ method: 'POST', url: '/v1/contacts', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) })
  return { statusCode: response.statusCode, body: response.json(), location: response.headers.location }
}

async function count (app: FastifyInstance, table: 'contact_requests' | 'idempotency_keys'): Promise<number> {
  const [{ count }] = await app.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM ${app.sql(table)}`
  return count
}

async function startApp (t: Teardown, env: Record<string, string | undefined>): Promise<FastifyInstance> {
  const app = await buildApp({ env, logger: false })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

test('the same key posted five times at once, and again after a restart, gets the first reply each time and stores one request', async (t) => {
  // One database for three lives of the service: PostgreSQL's, or the embedded one's DATA_DIR
  const env = await testEnv(t)
  const first = await startApp(t, env)
  const replies = await Promise.all(Array.from({ length: 5 }, () => post(first, ada, { 'idempotency-key': 'order-1' })))
  const [reply] = replies
  t.match(reply, { statusCode: 202, body: { status: 'queued', email: 'ada@example.com' } })
  t.equal(reply.location, `/v1/contacts/requests/${reply.body.id}`)
  t.same(replies, Array(5).fill(reply), 'five identical replies')
  t.equal(await count(first, 'contact_requests'), 1, 'one request stored')
  await first.close()

  // A restart: a new process, nothing of the first one's memory
  const server = await startServer({ env })
  t.teardown(() => { server.child.kill('SIGKILL') })
  await waitForStatus(`${server.baseUrl}/health/ready`, 200, STARTUP_TIMEOUT_MS)
  const response = await fetch(`${server.baseUrl}/v1/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'order-1' },
    body: JSON.stringify(ada)
  })
  t.same({ statusCode: response.status, body: await response.json(), location: response.headers.get('location') }, reply, 'the sixth reply, after a restart, is the first one')
  server.child.kill('SIGTERM')
  t.equal((await server.exited).code, 0)

  const third = await startApp(t, env)
  t.equal(await count(third, 'contact_requests'), 1, 'still one request stored')
  t.equal(await count(third, 'idempotency_keys'), 1)
})

test('the same key with a different body is a 422 saying so; the same body in another key order or email case is a replay', async (t) => {
  const app = await buildTestApp(t)
  const first = await post(app, ada, { 'idempotency-key': 'order-2' })
  t.equal(first.statusCode, 202)

  const sameAsked = { email: ' ADA@Example.com ', properties: { lastname: 'Lovelace', firstname: 'Ada' } }
  t.same(await post(app, sameAsked, { 'idempotency-key': 'order-2' }), first)

  for (const body of [{ ...ada, properties: { firstname: 'Augusta' } }, { ...ada, email: 'byron@example.com' }, { email: ada.email }]) {
    const refused = await post(app, body, { 'idempotency-key': 'order-2' })
    t.equal(refused.statusCode, 422, JSON.stringify(body))
    t.same(Object.keys(refused.body).sort(), ['error', 'message', 'statusCode'], 'Fastify\'s error shape')
    t.match(refused.body, { statusCode: 422, error: 'Unprocessable Entity', message: /Idempotency-Key was used .* with a different body/ })
  }
  t.equal(await count(app, 'contact_requests'), 1, 'nothing stored for the refused posts')
})

test('keys are kept per API key: the same key from another API key is a request of its own', async (t) => {
  const app = await buildTestApp(t, { API_KEYS: `intake:${KEY_ONE},intake:${KEY_TWO}` })
  const headers = (apiKey: string) => ({ authorization: `Bearer ${apiKey}`, 'idempotency-key': 'form-42' })
  const one = await post(app, ada, headers(KEY_ONE))
  const two = await post(app, { email: 'grace@example.com' }, headers(KEY_TWO))
  t.equal(one.statusCode, 202)
  t.equal(two.statusCode, 202, 'another body under the same key, from another API key: no 422')
  t.not(one.body.id, two.body.id, 'two requests')
  t.same(await post(app, ada, headers(KEY_ONE)), one, 'each API key replays its own')
  t.same(await post(app, { email: 'grace@example.com' }, headers(KEY_TWO)), two)
  t.equal(await count(app, 'contact_requests'), 2)
})

test('a malformed key is a 400 and stores nothing; 1 to 255 visible ASCII characters are keys', async (t) => {
  const app = await buildTestApp(t)
  for (const key of ['', 'k'.repeat(256), 'with space', 'tab\there', 'cl\u00e9', 'bell\u0007']) {
    const response = await post(app, ada, { 'idempotency-key': key })
    t.equal(response.statusCode, 400, `${JSON.stringify(key.slice(0, 12))} (${key.length} characters)`)
    t.match(response.body, { statusCode: 400, error: 'Bad Request', message: /idempotency-key/ })
  }
  t.equal(await count(app, 'contact_requests'), 0)

  for (const key of ['k', 'k'.repeat(255), '!"#$%&\'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~']) {
    t.equal((await post(app, ada, { 'idempotency-key': key })).statusCode, 202, `${JSON.stringify(key.slice(0, 12))} (${key.length} characters)`)
  }
})

test('a key used more than 24 hours ago counts as new', async (t) => {
  const app = await buildTestApp(t)
  const first = await post(app, ada, { 'idempotency-key': 'order-3' })
  await app.sql`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute'`

  const augusta = { ...ada, properties: { firstname: 'Augusta' } }
  const second = await post(app, augusta, { 'idempotency-key': 'order-3' })
  t.equal(second.statusCode, 202, 'another body: no 422')
  t.not(second.body.id, first.body.id, 'a new request')
  t.same(await post(app, augusta, { 'idempotency-key': 'order-3' }), second, 'the key now answers with the new request')
  t.equal(await count(app, 'contact_requests'), 2)
})

const NEEDS_SECOND_CONNECTION = 'needs DATABASE_URL: a second connection holds a key\'s lock'

/** Inserts the key in a transaction held open: a post with that key waits on its lock until the returned function rolls it back. */
async function holdKey (sql: Sql, key: string): Promise<() => Promise<void>> {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let inserted!: () => void
  const holding = new Promise<void>((resolve) => { inserted = resolve })
  const done = sql.begin(async (tx) => {
    await tx`INSERT INTO idempotency_keys (key_id, key, body_hash, request_id) VALUES ('', ${key}, 'another body', gen_random_uuid())`
    inserted()
    await released
    throw new Error('rolled back')
  }).catch(() => {})
  await holding
  return async () => { release(); await done }
}

test('a keyed post the database does not take within the deadline is a 503, and is not stored after it', { skip: usingRealPostgres ? false : NEEDS_SECOND_CONNECTION }, async (t) => {
  const app = await buildTestApp(t)
  const release = await holdKey(app.sql, 'order-4')

  const started = performance.now()
  const refused = await post(app, ada, { 'idempotency-key': 'order-4' })
  const elapsed = performance.now() - started
  t.equal(refused.statusCode, 503)
  t.ok(elapsed < 2000, `answered in ${Math.round(elapsed)} ms`)
  await release()

  // The refused post got the key once the lock went, and rolled back: a new body takes the key
  const after = await post(app, { email: 'grace@example.com' }, { 'idempotency-key': 'order-4' })
  t.equal(after.statusCode, 202)
  t.same((await app.sql`SELECT email FROM contact_requests`).map((row) => row.email), ['grace@example.com'], 'only the later post stored')
})

test('keyed posts take at most maxInFlight connections: the others wait their turn, and posts without a key are not held up', { skip: usingRealPostgres ? false : NEEDS_SECOND_CONNECTION }, async (t) => {
  const sql = connectSql(await freshDatabaseUrl(t), { maxConnections: 4, statementTimeoutMs: 5000 })
  t.teardown(() => sql.end({ timeout: 1 }))
  await migrate(sql)
  const intake = createIdempotentIntake(sql, { deadlineMs: 500, maxInFlight: 1 })
  const request = (email: string) => ({ id: randomUUID(), email, properties: {} })
  const release = await holdKey(sql, 'held')

  const first = intake.accept(request('first@example.com'), { keyId: '', key: 'held' })
  const second = intake.accept(request('second@example.com'), { keyId: '', key: 'free' })
  // Stored while the keyed posts still wait for their deadline: not queued behind them
  const firstRefused = first.then(() => 'the keyed post answered first', () => 'the keyed post was refused first')
  const plainStored = insertRequests(sql, [request('plain@example.com')]).then(() => 'stored')
  t.equal(await Promise.race([plainStored, firstRefused]), 'stored', 'a post without a key is stored meanwhile')
  await t.rejects(first, DatabaseUnavailableError, 'the keyed post stuck on a lock: 503 at the deadline')
  await t.rejects(second, DatabaseUnavailableError, 'the keyed post waiting for the one slot, though its key is free: 503 at the deadline')
  await release()

  // The same key again waits for the refused post's transaction to end: it rolled back
  t.match(await intake.accept(request('later@example.com'), { keyId: '', key: 'held' }), { replay: false })
  const stored = await sql<{ email: string }[]>`SELECT email FROM contact_requests ORDER BY email`
  t.same(stored.map((row) => row.email), ['later@example.com', 'plain@example.com'])
})
