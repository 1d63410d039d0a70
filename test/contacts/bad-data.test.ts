import { test } from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp } from '../helpers/app.ts'
import { createIntake } from '../../src/contacts/intake.ts'
import { UnstorableValueError } from '../../src/db/unavailable.ts'

const json = { 'content-type': 'application/json' }
// Values JSON carries and PostgreSQL cannot store: a NUL character, unpaired surrogates
const UNSTORABLE = ['a\u0000b', '\ud800', 'x\udfffy', '\u0000']

test('bad values sent among good posts fail alone: every good one 202 and stored, each bad one 400 naming its property', async (t) => {
  const app = await buildTestApp(t)
  const good = Array.from({ length: 200 }, (_, i) => ({ email: `good-${i}@example.com`, properties: { firstname: `Good ${i}` } }))
  const properties = ['firstname', 'company', 'city', 'message', 'zip']
  const bad = Array.from({ length: 10 }, (_, i) => ({ email: `bad-${i}@example.com`, properties: { lastname: 'fine', [properties[i % 5]]: UNSTORABLE[i % UNSTORABLE.length] } }))
  // Interleaved and concurrent: they share group commits
  const bodies = good.flatMap((body, i) => i % 20 === 0 ? [body, bad[i / 20]] : [body])
  const responses = await Promise.all(bodies.map((payload) => app.inject({ method: 'POST', url: '/v1/contacts', headers: json, payload })))

  const byEmail = new Map(bodies.map((body, i) => [body.email, responses[i]]))
  t.ok(good.every(({ email }) => byEmail.get(email)!.statusCode === 202), 'all 200 good posts 202')
  bad.forEach(({ email, properties }, i) => {
    const response = byEmail.get(email)!
    t.equal(response.statusCode, 400, `${email}: 400`)
    t.match(response.json(), { statusCode: 400, error: 'Bad Request', message: `body/properties/${Object.keys(properties)[1]} ` }, `bad post ${i} names its property`)
  })
  const stored = await app.sql<{ email: string }[]>`SELECT email FROM contact_requests`
  t.equal(stored.length, 200)
  t.ok(stored.every(({ email }) => email.startsWith('good-')), 'only the good ones stored')
})

test('a value that still fails the group commit on data fails its own request only, not the group', async (t) => {
  const app = await buildTestApp(t)
  // Straight to the intake, past the route's validation: the split is the last line of defence
  const intake = createIntake(app.sql, { deadlineMs: 1500, maxInFlight: 4, maxGroup: 500 })
  const requests = Array.from({ length: 60 }, (_, i) => ({
    id: randomUUID(),
    email: `group-${i}@example.com`,
    properties: { firstname: i % 20 === 7 ? 'nul\u0000inside' : `Name ${i}` }
  }))
  const outcomes = await Promise.allSettled(requests.map((request) => intake.accept(request)))
  const refused = outcomes.flatMap((outcome, i) => outcome.status === 'rejected' ? [i] : [])
  t.same(refused, [7, 27, 47], 'exactly the three bad ones refused')
  for (const i of refused) t.type((outcomes[i] as PromiseRejectedResult).reason, UnstorableValueError)
  const [{ count }] = await app.sql`SELECT count(*)::int AS count FROM contact_requests`
  t.equal(count, 57, 'the 57 good ones stored')
  const [{ queued }] = await app.sql`SELECT count(*)::int AS queued FROM sync_queue`
  t.equal(queued, 57, 'and queued for HubSpot')
})
