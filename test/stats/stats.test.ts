import { test } from 'tap'
import { request } from 'undici'
import { buildApp } from '../../src/app.ts'
import { NEEDS_REAL_POSTGRES, freshDatabaseUrl, testEnv, usingRealPostgres } from '../helpers/database.ts'
import { eventually, inParallel, startSyncStack } from '../helpers/sync-stack.ts'
import { startTcpProxy } from '../helpers/tcp-proxy.ts'
import { parseMetrics } from '../helpers/metrics.ts'

const ADMIN_KEY = 'admin:stats-admin-key-0123456789'
const READ_KEY = 'read:stats-read-key-0123456789'
const KEYS = { API_KEYS: `${ADMIN_KEY},${READ_KEY}`, INTAKE_RATE_PER_MINUTE: '0' }
const bearer = (scoped: string) => ({ authorization: `Bearer ${scoped.split(':')[1]}` })

test('after a scripted mix, /v1/stats reports exactly its counts and rates, and /metrics parses and agrees',
  { skip: usingRealPostgres ? false : NEEDS_REAL_POSTGRES }, async (t) => {
    // The database behind a proxy, so that it can be taken away for a moment
    const target = new URL(await freshDatabaseUrl(t))
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    t.teardown(() => proxy.close())
    const rejected = Array.from({ length: 20 }, (_, i) => `rejected-${i}@example.com`)
    const stack = await startSyncStack(t, {
      env: { ...KEYS, DATABASE_URL: proxy.url(target.toString()), DATA_DIR: undefined }
    })
    stack.simulator.setFaults({ upsertRejectEmails: rejected })
    const emails = [...rejected, ...Array.from({ length: 980 }, (_, i) => `accepted-${i}@example.com`)]

    // First, five posts while the database refuses connections: five 503s, nothing stored. (Taken away
    // while a batch is out at HubSpot, the batch's settle fails and its contacts wait for their lease.)
    await proxy.setMode('refuse')
    const refused = await Promise.all(Array.from({ length: 5 }, (_, i) => stack.post({ email: `refused-${i}@example.com` }, bearer(READ_KEY))))
    t.same(refused.map((r) => r.statusCode), [503, 503, 503, 503, 503], 'five 503s from the database')
    await proxy.setMode('forward')
    // Back before anything else is asked: a stats read answered 503 would be one more 5xx
    await eventually(async () => (await request(`${stack.baseUrl}/health/ready`)).statusCode === 200, 10_000, 'the database is back')

    const statuses: number[] = []
    await inParallel(emails, 20, async (email) => {
      statuses.push((await stack.post({ email, properties: { firstname: 'Mix' } }, bearer(READ_KEY))).statusCode)
    })
    t.equal(statuses.filter((s) => s === 202).length, 1000, '1,000 posts accepted')

    let statsReads = 0
    const readStats = async () => {
      statsReads++
      const response = await request(`${stack.baseUrl}/v1/stats`, { headers: bearer(READ_KEY) })
      return { statusCode: response.statusCode, body: await response.body.json() as any }
    }
    await eventually(async () => {
      const { statusCode, body } = await readStats()
      return statusCode === 200 && body.windows['1h'].synced + body.windows['1h'].failed === 1000
    }, 60_000, 'every accepted contact settled, and the stats show it')

    const { body: stats } = await readStats()
    for (const window of ['1h', '24h'] as const) {
      const w = stats.windows[window]
      t.equal(w.accepted, 1000, `${window}: accepted`)
      t.equal(w.synced, 980, `${window}: synced`)
      t.equal(w.failed, 20, `${window}: failed`)
      t.equal(w.syncSuccess, 0.98, `${window}: sync success 980 / 1000`)
      t.same(w.targets.syncSuccess, { min: 0.95, met: true })
      t.equal(w.serverErrors, 5, `${window}: the five 503s (${w.serverErrors})`)
      // The posts, and the stats reads before this one (each counts once answered)
      t.equal(w.requests, 1005 + statsReads - 1, `${window}: ${w.requests} API requests answered`)
      t.equal(w.errorRate, 5 / (1005 + statsReads - 1), `${window}: error rate 5 / ${w.requests}`)
      t.same(w.targets.errorRate, { max: 0.001, met: false }, `${window}: 0.5 % is over the runbook's 0.1 %`)
      t.ok(w.latencyMs.p50 > 0 && w.latencyMs.p99 >= w.latencyMs.p50, `${window}: latency p50 ${w.latencyMs.p50} ms, p99 ${w.latencyMs.p99} ms`)
      t.ok(w.hubspot.calls >= 10, `${window}: ${w.hubspot.calls} HubSpot calls (1,000 contacts, 100 a call)`)
      t.equal(w.hubspot.rateLimited, 0)
    }
    t.same(stats.queue, { pending: 0, failed: 20, oldestPendingSeconds: null }, 'the queue as /health shows it')
    t.equal(stats.hourly.length, 24)
    t.equal(stats.hourly.at(-1).accepted, 1000, 'this hour in the chart')

    const metricsResponse = await request(`${stack.baseUrl}/metrics`)
    t.equal(metricsResponse.statusCode, 200)
    t.match(metricsResponse.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    const metrics = parseMetrics(await metricsResponse.body.text())
    t.equal(metrics.total('contact_sync_intake_accepted_total'), 1000, 'metrics: accepted')
    t.equal(metrics.total('contact_sync_sync_outcomes_total', { outcome: 'synced' }), 980, 'metrics: synced')
    t.equal(metrics.total('contact_sync_sync_outcomes_total', { outcome: 'failed' }), 20, 'metrics: failed')
    t.equal(metrics.total('contact_sync_http_requests_total', { route: '/v1/contacts', method: 'POST', status_code: '503' }), 5, 'metrics: the 503s')
    t.equal(metrics.total('contact_sync_http_requests_total', { route: /^\/(v1|api)\//, status_code: /^5/ }), stats.windows['1h'].serverErrors)
    t.equal(metrics.total('contact_sync_http_requests_total', { route: '/v1/contacts', method: 'POST', status_code: '202' }), 1000)
    t.equal(metrics.total('contact_sync_sync_latency_seconds'), 980, 'metrics: one latency per synced request')
    t.equal(metrics.total('contact_sync_hubspot_requests_total'), stats.windows['1h'].hubspot.calls, 'metrics: HubSpot calls')
    t.equal(metrics.total('contact_sync_queue_pending'), 0)
    t.equal(metrics.total('contact_sync_requests_failed'), 20)
    t.equal(metrics.total('contact_sync_hubspot_state', { state: 'ok' }), 1)
    t.equal(metrics.total('contact_sync_hubspot_budget_limit'), 100)
    t.ok(metrics.total('process_cpu_seconds_total') > 0, 'process figures')
    const labels = metrics.families.flatMap((family) => family.metrics.flatMap((sample) => Object.values(sample.labels ?? {})))
    t.notOk(labels.some((label) => /@|[0-9a-f]{8}-[0-9a-f]{4}/.test(label)), 'no email or id became a label')
  })

test('the figures add up across replicas on one database and survive a restart', async (t) => {
  const env = await testEnv(t, KEYS)
  const post = (app: Awaited<ReturnType<typeof buildApp>>, email: string) => app.inject({
    method: 'POST', url: '/v1/contacts', headers: { 'content-type': 'application/json', ...bearer(ADMIN_KEY) }, payload: { email }
  })
  const stats = async (app: Awaited<ReturnType<typeof buildApp>>) => (await app.inject({ url: '/v1/stats', headers: bearer(READ_KEY) })).json()

  const first = await buildApp({ env, logger: false })
  t.teardown(() => first.close())
  for (let i = 0; i < 3; i++) t.equal((await post(first, `first-${i}@example.com`)).statusCode, 202)

  if (usingRealPostgres) {
    // A second replica on the same database: each reads what both counted
    const second = await buildApp({ env, logger: false })
    t.teardown(() => second.close())
    for (let i = 0; i < 4; i++) t.equal((await post(second, `second-${i}@example.com`)).statusCode, 202)
    await second.observations.flush()
    t.equal((await stats(first)).windows['1h'].accepted, 7, 'the first replica sees both')
    t.equal((await stats(second)).windows['24h'].accepted, 7, 'the second too')
    await second.close()
  } else {
    t.comment('one replica only: the embedded database is one process\'s own')
  }
  const before = (await stats(first)).windows['24h'].accepted
  await first.close()
  // Counts are written on close: a new process on the same database starts from them
  const restarted = await buildApp({ env, logger: false })
  t.teardown(() => restarted.close())
  t.equal((await post(restarted, 'after-restart@example.com')).statusCode, 202)
  t.equal((await stats(restarted)).windows['24h'].accepted, before + 1, 'counts survive the restart')
})

test('/v1/stats needs a read key; /metrics and /status are open on the service port', async (t) => {
  const app = await buildApp({ env: await testEnv(t, { API_KEYS: `intake:stats-intake-key-0123456789,${READ_KEY}` }), logger: false })
  t.teardown(() => app.close())
  t.equal((await app.inject('/v1/stats')).statusCode, 401)
  t.equal((await app.inject({ url: '/v1/stats', headers: { authorization: 'Bearer stats-intake-key-0123456789' } })).statusCode, 403)
  t.equal((await app.inject({ url: '/v1/stats', headers: bearer(READ_KEY) })).statusCode, 200)
  t.equal((await app.inject('/metrics')).statusCode, 200)
  const page = await app.inject('/status')
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /default-src 'none'/, 'the page may load nothing')
})
