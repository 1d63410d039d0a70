import { test } from 'tap'
import { request } from 'undici'
import { eventually, startSyncStack } from '../helpers/sync-stack.ts'
import { buildTestApp } from '../helpers/app.ts'
import { UUID_V7 } from '../helpers/uuid.ts'

const ADMIN = 'replay-admin-key-0123456789'
const READ = 'replay-read-key-0123456789'
const ENV = {
  API_KEYS: `admin:${ADMIN},read:${READ}`,
  INTAKE_RATE_PER_MINUTE: '0',
  // A property this portal does not have yet
  CONTACT_PROPERTIES: 'firstname,lastname,favorite_color'
}
const UPSERT_ROUTE = /batch\/upsert/

test('40 contacts failed on a missing property: once it exists, one bulk retry syncs all 40, none twice, later values kept', async (t) => {
  const stack = await startSyncStack(t, { env: ENV })
  const call = async (method: 'GET' | 'POST', path: string, key: string, body?: unknown) => {
    const response = await request(`${stack.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { statusCode: response.statusCode, headers: response.headers, body: await response.body.json() as any }
  }
  const upsertCalls = () => Object.entries(stack.simulator.stats().requestsByRoute)
    .filter(([route]) => UPSERT_ROUTE.test(route)).reduce((sum, [, count]) => sum + count, 0)

  const emails = Array.from({ length: 40 }, (_, i) => `color-${String(i).padStart(2, '0')}@example.com`)
  const ids = new Map<string, string>()
  for (const email of emails) {
    const posted = await stack.post({ email, properties: { favorite_color: 'teal', firstname: 'Before' } }, { authorization: `Bearer ${ADMIN}` })
    t.equal(posted.statusCode, 202)
    ids.set(email, posted.body.id)
  }
  await eventually(async () => (await call('GET', '/v1/contacts/requests?status=failed&limit=100', READ)).body.items.length === 40,
    30_000, 'the 40 failed')
  t.equal(stack.simulator.contacts().length, 0, 'HubSpot has none of them')

  // The list: newest first, a page at a time
  const firstPage = await call('GET', '/v1/contacts/requests?status=failed&limit=25', READ)
  t.equal(firstPage.statusCode, 200)
  t.equal(firstPage.body.items.length, 25)
  t.match(firstPage.body.items[0], { status: 'failed', error: /favorite_color/, email: emails[39] }, 'newest first')
  const secondPage = await call('GET', `/v1/contacts/requests?status=failed&limit=25&cursor=${firstPage.body.nextCursor}`, READ)
  t.equal(secondPage.body.items.length, 15)
  t.equal(secondPage.body.nextCursor, null, 'the last page')
  t.same(new Set([...firstPage.body.items, ...secondPage.body.items].map((item: { email: string }) => item.email)), new Set(emails),
    'both pages: every failed request once')

  // A later request for one email changes firstname: the replay must not take it back to "Before"
  const later = await stack.post({ email: emails[0], properties: { firstname: 'Later' } }, { authorization: `Bearer ${ADMIN}`, prefer: 'wait=10' })
  t.equal(later.statusCode, 200, 'the later request synced on its own')

  stack.simulator.createProperty('favorite_color')
  const callsBefore = upsertCalls()
  const bulk = await call('POST', '/v1/contacts/requests/retry', ADMIN, { status: 'failed', errorContains: 'FAVORITE_COLOR' })
  t.equal(bulk.statusCode, 200)
  t.same(bulk.body, { replayed: 40 })
  t.same(await call('POST', '/v1/contacts/requests/retry', ADMIN, { status: 'failed' }).then((r) => r.body), { replayed: 0 },
    'a second bulk retry finds nothing to replay')

  await eventually(() => emails.every((email) => stack.simulator.findContactByEmail(email)?.properties.favorite_color === 'teal'),
    30_000, 'all 40 in HubSpot with their color')
  t.equal(upsertCalls() - callsBefore, 1, '40 contacts in one upsert call (at most one per 100)')
  t.equal(stack.simulator.findContactByEmail(emails[0])?.properties.firstname, 'Later', 'the later value kept')
  t.equal(stack.simulator.findContactByEmail(emails[1])?.properties.firstname, 'Before', 'the replayed value where nothing newer came')

  const old = await call('GET', `/v1/contacts/requests/${ids.get(emails[1])}`, READ)
  t.match(old.body, { status: 'replayed', replayedAs: UUID_V7 })
  const replay = await call('GET', `/v1/contacts/requests/${old.body.replayedAs}`, READ)
  t.match(replay.body, { status: 'synced', email: emails[1] })
  t.equal((await call('GET', '/v1/contacts/requests?status=replayed&limit=100', READ)).body.items.length, 40, 'listed as replayed')

  // Replaying twice never sends twice: the single retry of a replayed request names the first replay
  const again = await call('POST', `/v1/contacts/requests/${ids.get(emails[1])}/retry`, ADMIN)
  t.equal(again.statusCode, 409)
  t.match(again.body.message, new RegExp(`already replayed as ${old.body.replayedAs}`))
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(upsertCalls() - callsBefore, 1, 'nothing more was sent')
})

test('single retry: a new request, one replay however many ask at once, 404 and 409 otherwise', async (t) => {
  const stack = await startSyncStack(t, { env: ENV })
  const retry = async (id: string, key = ADMIN) => {
    const response = await request(`${stack.baseUrl}/v1/contacts/requests/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })
    return { statusCode: response.statusCode, headers: response.headers, body: await response.body.json() as any }
  }
  const failed = await stack.post({ email: 'single@example.com', properties: { favorite_color: 'red' } }, { authorization: `Bearer ${ADMIN}`, prefer: 'wait=10' })
  t.equal(failed.statusCode, 422, 'HubSpot refused it')
  stack.simulator.createProperty('favorite_color')

  const attempts = await Promise.all(Array.from({ length: 5 }, () => retry(failed.body.id)))
  const accepted = attempts.filter((a) => a.statusCode === 202)
  t.equal(accepted.length, 1, 'one of five concurrent retries replays it')
  t.same(attempts.filter((a) => a.statusCode === 409).length, 4, 'the others are told it was replayed')
  t.match(accepted[0].body, { status: 'queued', email: 'single@example.com' })
  t.equal(accepted[0].headers.location, `/v1/contacts/requests/${accepted[0].body.id}`)
  await eventually(() => stack.simulator.findContactByEmail('single@example.com')?.properties.favorite_color === 'red', 10_000, 'synced')

  t.equal((await retry(accepted[0].body.id)).statusCode, 409, 'a synced request is not replayed')
  t.equal((await retry('00000000-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await retry('not-an-id')).statusCode, 404)
  t.equal((await retry(failed.body.id, READ)).statusCode, 403, 'retries are for admin keys')
})

test('the list and the bulk retry refuse what they cannot serve with a 400', async (t) => {
  const app = await buildTestApp(t, ENV)
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${READ}` } })
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/contacts/requests/retry', headers: { authorization: `Bearer ${ADMIN}` }, payload: payload as object })
  const cases: Array<[string, number]> = [
    ['/v1/contacts/requests?status=failed', 200],
    ['/v1/contacts/requests', 400],
    ['/v1/contacts/requests?status=queued', 400],
    ['/v1/contacts/requests?status=failed&limit=0', 400],
    ['/v1/contacts/requests?status=failed&limit=501', 400],
    ['/v1/contacts/requests?status=failed&limit=ten', 400],
    ['/v1/contacts/requests?status=failed&cursor=nonsense', 400],
    [`/v1/contacts/requests?status=failed&cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`, 400]
  ]
  for (const [url, status] of cases) t.equal((await get(url)).statusCode, status, url)
  t.same((await get('/v1/contacts/requests?status=failed')).json(), { items: [], nextCursor: null })
  t.equal((await post({ status: 'failed' })).statusCode, 200)
  t.equal((await post({ status: 'synced' })).statusCode, 400)
  t.equal((await post({ status: 'failed', since: 'yesterday' })).statusCode, 400)
  t.equal((await post({ status: 'failed', extra: 1 })).statusCode, 400)
})
