import { test } from 'tap'
import { buildTestApp } from '../helpers/app.ts'
import { NEEDS_REAL_POSTGRES, freshDatabaseUrl, usingRealPostgres } from '../helpers/database.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { eventually } from '../helpers/sync-stack.ts'

test('liveness answers while the process runs', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject('/health/live')
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

test('readiness is 200 when the database answers', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject('/health/ready')
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ready' })
})

test('/health reports the contract shape', async (t) => {
  const app = await buildTestApp(t, { DEPLOY_COLOR: 'blue' })
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.equal(body.status, 'ready')
  t.match(body.version, /^\d+\.\d+\.\d+/)
  t.equal(body.color, 'blue')
  t.type(body.uptimeSeconds, 'number')
  t.equal(body.db.ok, true)
  t.type(body.db.latencyMs, 'number')
  t.same(body.hubspot, { configured: false, state: 'not_configured', lastSuccessAt: null, lastError: null })
  t.same(Object.keys(body.queue).sort(), ['failed', 'oldestPendingSeconds', 'pending'])
})

test('without a token, /health keeps saying not_configured once the sync has tried a batch (nothing was refused)', async (t) => {
  const app = await buildTestApp(t)
  t.equal((await app.inject({ method: 'POST', url: '/v1/contacts', payload: { email: 'waiting@example.com' } })).statusCode, 202)
  await eventually(() => app.syncPausedBy() !== undefined, 10_000, 'the sync tried the batch and paused')
  const { hubspot, queue } = (await app.inject('/health')).json()
  t.equal(hubspot.state, 'not_configured')
  t.equal(queue.pending, 1, 'the contact waits for a token')
})

test('readiness answers 503 within 1 s when the database accepts connections and never answers', { skip: usingRealPostgres ? false : NEEDS_REAL_POSTGRES }, async (t) => {
  const target = new URL(await freshDatabaseUrl(t))
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(() => proxy.close())
  const app = await buildTestApp(t, { DATABASE_URL: proxy.url(target.toString()), DATA_DIR: undefined })
  t.equal((await app.inject('/health/ready')).statusCode, 200)

  await proxy.setMode('blackhole')
  for (const path of ['/health/ready', '/health', '/health/ready']) {
    const started = performance.now()
    const response = await app.inject(path)
    const elapsed = performance.now() - started
    t.equal(response.statusCode, 503, `${path} is 503`)
    t.ok(elapsed < 1000, `${path} answered in ${Math.round(elapsed)} ms`)
  }
  t.equal((await app.inject('/health/live')).statusCode, 200, 'the process is still alive')

  await proxy.setMode('forward')
})
