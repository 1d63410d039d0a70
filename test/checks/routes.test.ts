import { test } from 'tap'
import { READ_SCOPE } from '../../src/simulator/simulator.ts'
import { buildTestApp } from '../helpers/app.ts'
import { startSyncStack } from '../helpers/sync-stack.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'

test('GET /api/hubspot/test reports ok, unauthorized, missing_scopes and unreachable against the simulator', async (t) => {
  const stack = await startSyncStack(t)
  const ok = await stack.get('/api/hubspot/test')
  t.equal(ok.statusCode, 200)
  t.match(ok.body, { ok: true, latencyMs: Number })

  stack.simulator.revokeToken()
  const unauthorized = await stack.get('/api/hubspot/test')
  t.equal(unauthorized.statusCode, 503)
  t.same(unauthorized.body, { ok: false, reason: 'unauthorized' })
  stack.simulator.restoreToken()

  stack.simulator.setScopes([READ_SCOPE.replace('read', 'write')])
  const missing = await stack.get('/api/hubspot/test')
  t.equal(missing.statusCode, 503)
  t.same(missing.body, { ok: false, reason: 'missing_scopes' })
  t.equal(stack.simulator.stats().searchCalls, 0)
})

test('GET /api/hubspot/test says unreachable when nothing listens, within the retry bound', async (t) => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 9 })
  await proxy.setMode('refuse')
  const app = await buildTestApp(t, {
    HUBSPOT_BASE_URL: `http://127.0.0.1:${proxy.port}`,
    HUBSPOT_ACCESS_TOKEN: 'pat-x',
    HUBSPOT_MAX_RETRIES: '1',
    HUBSPOT_TIMEOUT_MS: '500'
  })
  const response = await app.inject('/api/hubspot/test')
  t.equal(response.statusCode, 503)
  t.same(response.json(), { ok: false, reason: 'unreachable' })
})

test('GET /api/hubspot/test without a token says not_configured and sends nothing', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject('/api/hubspot/test')
  t.equal(response.statusCode, 503)
  t.same(response.json(), { ok: false, reason: 'not_configured' })
})

test('POST /api/hubspot/test upserts straight through HubSpot, not the queue', async (t) => {
  const stack = await startSyncStack(t)
  const created = await stack.app.inject({ method: 'POST', url: '/api/hubspot/test', payload: { email: 'Smoke@Example.com' } })
  t.equal(created.statusCode, 200)
  t.match(created.json(), { ok: true, hubspotId: /^\d+$/, created: true, latencyMs: Number })
  t.ok(stack.simulator.findContactByEmail('smoke@example.com'), 'the contact is in HubSpot')
  const [{ count }] = await stack.app.sql`SELECT count(*)::int AS count FROM contact_requests`
  t.equal(count, 0, 'nothing went through the queue')

  const updated = await stack.app.inject({ method: 'POST', url: '/api/hubspot/test', payload: { email: 'smoke@example.com' } })
  t.match(updated.json(), { ok: true, hubspotId: created.json().hubspotId, created: false })

  stack.simulator.revokeToken()
  const refused = await stack.app.inject({ method: 'POST', url: '/api/hubspot/test', payload: { email: 'smoke@example.com' } })
  t.equal(refused.statusCode, 503)
  t.match(refused.json(), { ok: false, reason: 'unauthorized' })
  t.equal((await stack.app.inject({ method: 'POST', url: '/api/hubspot/test', payload: { email: 'nope' } })).statusCode, 400)
})
