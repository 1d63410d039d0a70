import { createServer } from 'node:net'
import t from 'tap'
import { createHubSpotClient } from '../../src/hubspot/client.ts'
import { READ_SCOPE, WRITE_SCOPE } from '../../src/simulator/simulator.ts'
import { createTestClient } from '../helpers/hubspot-client.ts'
import { createRecordingLogger } from '../helpers/hubspot-logger.ts'
import { startTestSimulator, SIMULATOR_TOKEN } from '../helpers/hubspot-simulator.ts'

t.test('ok with a valid token and the read scope, and health state turns ok', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  t.equal(client.getState().state, 'unknown')
  const check = await client.checkConnection()
  t.match(check, { ok: true, latencyMs: Number })
  t.match(client.getState(), { configured: true, state: 'ok', lastSuccessAt: Date })
})

t.test('unauthorized with a wrong token, and after the token is revoked', async (t) => {
  const simulator = await startTestSimulator(t)
  const wrong = createTestClient(t, { baseUrl: simulator.url, accessToken: 'not-the-token' })
  t.same(await wrong.checkConnection(), { ok: false, reason: 'unauthorized' })
  t.equal(wrong.getState().state, 'unauthorized')

  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  simulator.revokeToken()
  t.same(await client.checkConnection(), { ok: false, reason: 'unauthorized' })
  simulator.restoreToken()
  t.match(await client.checkConnection(), { ok: true })
})

t.test('missing_scopes when the app lacks the read scope', async (t) => {
  const simulator = await startTestSimulator(t, { scopes: [WRITE_SCOPE] })
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  t.same(await client.checkConnection(), { ok: false, reason: 'missing_scopes' })
  t.equal(client.getState().state, 'forbidden')
  simulator.setScopes([READ_SCOPE, WRITE_SCOPE])
  t.match(await client.checkConnection(), { ok: true })
})

t.test('rate_limited during a 429 storm', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  simulator.setFaults({ failure: { mode: 'rate_limit_storm', count: 1 } })
  t.same(await client.checkConnection(), { ok: false, reason: 'rate_limited' })
})

t.test('unreachable when nothing listens, when the simulator hangs, and on 5xx; one attempt, no retries', async (t) => {
  const listener = createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const { port } = listener.address() as { port: number }
  await new Promise<void>((resolve) => listener.close(() => resolve()))
  const nobody = createTestClient(t, { baseUrl: `http://127.0.0.1:${port}`, accessToken: SIMULATOR_TOKEN })
  t.same(await nobody.checkConnection(), { ok: false, reason: 'unreachable' })
  t.equal(nobody.getState().state, 'unreachable')

  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN, timeoutMs: 200 })
  simulator.setFaults({ failure: { mode: 'hang', count: 1 } })
  const startedAt = performance.now()
  t.same(await client.checkConnection(), { ok: false, reason: 'unreachable' })
  t.ok(performance.now() - startedAt < 1000, 'answered within about one timeout')

  simulator.setFaults({ failure: { mode: 'status', status: 503, count: 1 } })
  t.same(await client.checkConnection(), { ok: false, reason: 'unreachable' })
  t.equal(simulator.stats().requestsByRoute['GET /crm/v3/objects/contacts'], 2, 'one request per check')
})

t.test('not_configured without a token: nothing is sent and calls raise an auth error', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createHubSpotClient({ baseUrl: simulator.url, timeoutMs: 1000, maxRetries: 1, requestsPer10s: 100, logger: createRecordingLogger() })
  t.teardown(() => client.close())
  t.same(await client.checkConnection(), { ok: false, reason: 'not_configured' })
  t.match(client.getState(), { configured: false, state: 'not_configured' })
  t.match(await t.rejects(client.upsertByEmail([{ email: 'ada@example.com', properties: {} }])), { kind: 'auth', reason: 'not_configured' })
  t.equal(simulator.stats().requests, 0)
})
