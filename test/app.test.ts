import { test } from 'tap'
import { Writable } from 'node:stream'
import { buildApp, loggerOptions } from '../src/app.ts'
import { testEnv } from './helpers/database.ts'

test('log lines are JSON with request ids, and no key or token ever appears in them', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const secrets = { API_KEYS: 'key-secret-4242-abcdefgh', HUBSPOT_ACCESS_TOKEN: 'pat-na1-secret-token-9999', HUBSPOT_BASE_URL: 'http://127.0.0.1:9' }
  const app = await buildApp({ env: await testEnv(t, { ...secrets, LOG_LEVEL: 'trace', HUBSPOT_MAX_RETRIES: '0' }), logger: { ...loggerOptions('trace') as object, stream } })
  t.teardown(() => app.close())
  await app.ready()

  const posted = await app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: { authorization: `Bearer ${secrets.API_KEYS}`, 'content-type': 'application/json', 'x-request-id': 'req-from-frontend-1' },
    payload: { email: 'logged@example.com' }
  })
  t.equal(posted.statusCode, 202)
  t.equal(posted.headers['x-request-id'], 'req-from-frontend-1', 'the caller\'s request id is kept and handed back')
  const refused = await app.inject({ method: 'GET', url: '/v1/contacts?email=x@example.com', headers: { authorization: 'Bearer wrong-key-7777' } })
  t.equal(refused.statusCode, 401)
  t.match(refused.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a request without one gets a generated id')
  // A HubSpot call that fails (nothing listens on port 9) logs an error with the token in its request
  await app.inject({ method: 'GET', url: '/api/hubspot/test', headers: { authorization: `Bearer ${secrets.API_KEYS}` } })
  await app.close()

  const parsed = lines.map((line) => JSON.parse(line) as { reqId?: string })
  t.ok(parsed.length > 5, `${parsed.length} JSON log lines`)
  t.ok(parsed.some((entry) => entry.reqId === 'req-from-frontend-1'), 'request log lines carry the request id')
  const all = lines.join('\n')
  for (const secret of [secrets.API_KEYS, secrets.HUBSPOT_ACCESS_TOKEN, 'wrong-key-7777']) t.notMatch(all, secret, `${secret.slice(0, 8)}… is in no log line`)
})
