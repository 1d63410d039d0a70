import t from 'tap'
import { MAX_BATCH_INPUTS } from '../../src/hubspot/contacts.ts'
import { createTestClient } from '../helpers/hubspot-client.ts'
import { openApiSpecMissing, openApiSpecPath } from '../helpers/hubspot-openapi.ts'
import { startTestSimulator, SIMULATOR_TOKEN } from '../helpers/hubspot-simulator.ts'

t.test('upsertByEmail creates, then updates, reporting the HubSpot id and created flag per input', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  const first = await client.upsertByEmail([
    { email: 'ada@example.com', properties: { firstname: 'Ada', lastname: 'Lovelace' } },
    { email: 'Grace@Example.com', properties: { firstname: 'Grace' } }
  ])
  t.match(first, [
    { email: 'ada@example.com', ok: true, hubspotId: String, created: true },
    { email: 'Grace@Example.com', ok: true, hubspotId: String, created: true }
  ])
  const second = await client.upsertByEmail([{ email: 'grace@example.com', properties: { firstname: 'Grace', jobtitle: 'Rear Admiral' } }])
  t.match(second, [{ ok: true, created: false }])
  t.equal(second[0].ok && second[0].hubspotId, first[1].ok && first[1].hubspotId, 'same contact, matched case-insensitively')
  t.equal(simulator.contacts().length, 2)
})

t.test('property values go as strings: numbers and booleans stringified, null clears', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  await client.upsertByEmail([{ email: 'ada@example.com', properties: { zip: 12345, message: true, city: 'London' } }])
  t.match(simulator.findContactByEmail('ada@example.com')?.properties, { zip: '12345', message: 'true', city: 'London' })
  await client.upsertByEmail([{ email: 'ada@example.com', properties: { city: null } }])
  t.equal(simulator.findContactByEmail('ada@example.com')?.properties.city, undefined)
})

t.test('readByEmail returns the contact, or null when HubSpot has none; never searches', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  const [created] = await client.upsertByEmail([{ email: 'ada+test@example.com', properties: { firstname: 'Ada' } }])
  const contact = await client.readByEmail('ada+test@example.com', ['firstname', 'lastname'])
  t.match(contact, { hubspotId: created.ok ? created.hubspotId : 'none', properties: { firstname: 'Ada', lastname: null } })
  t.equal(await client.readByEmail('nobody@example.com', ['firstname']), null)
  t.equal(simulator.stats().searchCalls, 0)
})

t.test('a 207 answer gives each input its own outcome', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  simulator.setFaults({ upsertRejectEmails: ['bad@example.com'] })
  const outcomes = await client.upsertByEmail([
    { email: 'good@example.com', properties: {} },
    { email: 'bad@example.com', properties: {} }
  ])
  t.match(outcomes, [
    { email: 'good@example.com', ok: true, created: true },
    { email: 'bad@example.com', ok: false, error: { kind: 'validation', retryable: false } }
  ])
})

t.test('a bad input fails the whole batch with a validation error', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  const error = await t.rejects(client.upsertByEmail([
    { email: 'good@example.com', properties: {} },
    { email: 'bad@example.com', properties: { shoe_size: '44' } }
  ]))
  t.match(error, { kind: 'validation', status: 400, message: /PROPERTY_DOESNT_EXIST.*bad@example\.com/ })
  t.equal(simulator.contacts().length, 0, 'nothing of the batch was written')
})

t.test('caller mistakes are refused before sending: over 100 inputs, or two inputs with one email', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  const tooMany = Array.from({ length: MAX_BATCH_INPUTS + 1 }, (_, index) => ({ email: `p${index}@example.com`, properties: {} }))
  await t.rejects(client.upsertByEmail(tooMany), RangeError)
  await t.rejects(client.upsertByEmail([{ email: 'a@example.com', properties: {} }, { email: 'A@example.com', properties: {} }]), RangeError)
  t.same(await client.upsertByEmail([]), [])
  t.equal(simulator.stats().requests, 0)
})

t.test('a full batch of 100 goes through as one call', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  const outcomes = await client.upsertByEmail(Array.from({ length: MAX_BATCH_INPUTS }, (_, index) => ({ email: `p${index}@example.com`, properties: { firstname: `P${index}` } })))
  t.equal(outcomes.filter((outcome) => outcome.ok && outcome.created).length, MAX_BATCH_INPUTS)
  t.equal(simulator.stats().requests, 1)
})

t.test('every request body the adapter sends matches HubSpot\'s OpenAPI spec', { skip: openApiSpecPath === undefined && openApiSpecMissing }, async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  await client.upsertByEmail([{ email: 'ada@example.com', properties: { firstname: 'Ada', zip: 12345, message: false, city: null } }])
  await client.readByEmail('ada@example.com', ['firstname'])
  await client.checkConnection()
  t.same(simulator.schemaViolations(), [])
  t.ok(simulator.stats().requests >= 3)
})

t.test('transient faults from the simulator are ridden out: 503s, a reset, a short 429 storm', async (t) => {
  const simulator = await startTestSimulator(t)
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN })
  simulator.setFaults({ failure: { mode: 'status', status: 503, count: 2 } })
  t.match(await client.upsertByEmail([{ email: 'a@example.com', properties: {} }]), [{ ok: true }])
  simulator.setFaults({ failure: { mode: 'reset', count: 1 } })
  t.match(await client.upsertByEmail([{ email: 'b@example.com', properties: {} }]), [{ ok: true }])
  simulator.setFaults({ failure: { mode: 'rate_limit_storm', retryAfterSeconds: 0.05, count: 2 } })
  t.match(await client.upsertByEmail([{ email: 'c@example.com', properties: {} }]), [{ ok: true }])
  t.equal(simulator.stats().rateLimited, 2)
})
