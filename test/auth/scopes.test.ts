import { test } from 'tap'
import { Client, request } from 'undici'
import { startSyncStack } from '../helpers/sync-stack.ts'

const KEYS = {
  intake: 'form-key-0123456789abcdef',
  read: 'support-key-0123456789abcdef',
  admin: 'operator-key-0123456789abcdef'
}

// The contract's table: intake posts; read also searches and reads requests; admin calls everything
const ROUTES: Array<{ method: 'GET' | 'POST', path: string, body?: unknown, needs: 'intake' | 'read' | 'admin' }> = [
  { method: 'POST', path: '/v1/contacts', body: { email: 'scoped@example.com' }, needs: 'intake' },
  { method: 'GET', path: '/v1/contacts?email=scoped@example.com', needs: 'read' },
  { method: 'GET', path: '/v1/contacts/requests/{id}', needs: 'read' },
  { method: 'GET', path: '/api/hubspot/test', needs: 'admin' },
  { method: 'POST', path: '/api/hubspot/test', body: { email: 'smoke@example.com' }, needs: 'admin' }
]
const RANK = { intake: 0, read: 1, admin: 2 }

test('each scope against each route: 401 without a known key, 403 outside the scope, 2xx within it', async (t) => {
  const stack = await startSyncStack(t, {
    env: { API_KEYS: `intake:${KEYS.intake},read:${KEYS.read},${KEYS.admin}`, INTAKE_RATE_PER_MINUTE: '0' }
  })
  const seeded = await stack.post({ email: 'scoped@example.com' }, { authorization: `Bearer ${KEYS.intake}` })
  t.equal(seeded.statusCode, 202)

  const call = async (route: typeof ROUTES[number], authorization: string | undefined) => {
    const response = await request(`${stack.baseUrl}${route.path.replace('{id}', seeded.body.id)}`, {
      method: route.method,
      headers: { ...(authorization ? { authorization } : {}), ...(route.body ? { 'content-type': 'application/json' } : {}) },
      body: route.body ? JSON.stringify(route.body) : undefined
    })
    const body = await response.body.json() as { statusCode?: number, error?: string }
    return { statusCode: response.statusCode, body }
  }

  for (const route of ROUTES) {
    const name = `${route.method} ${route.path}`
    const none = await call(route, undefined)
    t.equal(none.statusCode, 401, `${name} without a key`)
    const unknown = await call(route, 'Bearer not-a-configured-key-0123')
    t.equal(unknown.statusCode, 401, `${name} with an unknown key`)
    t.match(unknown.body, { statusCode: 401, error: 'Unauthorized' })
    for (const scope of ['intake', 'read', 'admin'] as const) {
      const answer = await call(route, `Bearer ${KEYS[scope]}`)
      if (RANK[scope] >= RANK[route.needs]) {
        t.ok(answer.statusCode >= 200 && answer.statusCode < 300, `${name} with a ${scope} key: ${answer.statusCode}`)
      } else {
        t.equal(answer.statusCode, 403, `${name} with a ${scope} key`)
        t.match(answer.body, { statusCode: 403, error: 'Forbidden', message: new RegExp(`needs ${route.needs}`) })
      }
    }
  }
})

test('without keys (development and test) every route is open', async (t) => {
  const stack = await startSyncStack(t)
  t.equal((await stack.post({ email: 'open@example.com' })).statusCode, 202)
  t.equal((await stack.get('/api/hubspot/test')).statusCode, 200)
})

test('one keep-alive connection that changes its key is judged on the key of each request', async (t) => {
  const stack = await startSyncStack(t, { env: { API_KEYS: `intake:${KEYS.intake},read:${KEYS.read}`, INTAKE_RATE_PER_MINUTE: '0' } })
  // One connection, as NGINX forwards several callers' requests on one
  const connection = new Client(stack.baseUrl, { pipelining: 1 })
  t.teardown(() => connection.close())
  const post = async (authorization: string | undefined) => {
    const response = await connection.request({
      method: 'POST',
      path: '/v1/contacts',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ email: 'one-connection@example.com' })
    })
    await response.body.dump()
    return response.statusCode
  }
  const unlike = (key: string) => key.slice(0, -1) + (key.endsWith('f') ? 'e' : 'f')
  const sequence: Array<[string, string | undefined, number]> = [
    ['the intake key', `Bearer ${KEYS.intake}`, 202],
    ['the same key again', `Bearer ${KEYS.intake}`, 202],
    ['the intake key with its last character changed', `Bearer ${unlike(KEYS.intake)}`, 401],
    ['the intake key again', `Bearer ${KEYS.intake}`, 202],
    ['the intake key cut short by one character', `Bearer ${KEYS.intake.slice(0, -1)}`, 401],
    ['the intake key with a character more', `Bearer ${KEYS.intake}0`, 401],
    ['no key', undefined, 401],
    ['the read key, which may post too', `Bearer ${KEYS.read}`, 202],
    ['the intake key, after the read key', `Bearer ${KEYS.intake}`, 202],
    ['an empty header', '', 401],
    ['the intake key, after an empty header', `Bearer ${KEYS.intake}`, 202]
  ]
  for (const [what, authorization, statusCode] of sequence) t.equal(await post(authorization), statusCode, what)

  const [{ count }] = await stack.app.sql`SELECT count(*)::int AS count FROM contact_requests`
  t.equal(count, sequence.filter(([, , status]) => status === 202).length, 'only the accepted posts were stored')
})
