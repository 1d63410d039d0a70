// With the client's budget equal to HubSpot's limit, calling as fast as the
// adapter allows never draws a 429 and uses at least 90% of the limit.
import t from 'tap'
import { createTestClient } from '../helpers/hubspot-client.ts'
import { startTestSimulator, SIMULATOR_TOKEN } from '../helpers/hubspot-simulator.ts'

// HubSpot's 10-second window shrunk to 1 s so the test takes ~15 s.
const LIMIT = 20
const WINDOW_MS = 1000
const CALLS = 300

t.test(`${CALLS} upserts at a budget equal to the limit (${LIMIT} per ${WINDOW_MS} ms)`, async (t) => {
  const simulator = await startTestSimulator(t, { rateLimit: { max: LIMIT, intervalMs: WINDOW_MS } })
  const client = createTestClient(t, { baseUrl: simulator.url, accessToken: SIMULATOR_TOKEN, requestsPer10s: LIMIT, rateWindowMs: WINDOW_MS })

  const startedAt = performance.now()
  const outcomes = await Promise.all(Array.from({ length: CALLS }, (_, index) =>
    client.upsertByEmail([{ email: `person${index}@example.com`, properties: { firstname: `P${index}` } }])))
  const elapsedS = (performance.now() - startedAt) / 1000

  // The first window's burst is free; the rate that counts is the one after it.
  const sustainedRate = (CALLS - LIMIT) / elapsedS
  const limitRate = LIMIT / (WINDOW_MS / 1000)
  t.comment(`${CALLS} calls in ${elapsedS.toFixed(2)} s: ${sustainedRate.toFixed(2)} calls/s sustained vs limit ${limitRate}/s (${(100 * sustainedRate / limitRate).toFixed(1)}%)`)
  t.equal(simulator.stats().rateLimited, 0, 'no 429 was sent')
  t.equal(outcomes.flat().filter((outcome) => outcome.ok).length, CALLS, 'every upsert succeeded')
  t.equal(simulator.contacts().length, CALLS)
  t.ok(sustainedRate >= 0.9 * limitRate, `sustained rate ${sustainedRate.toFixed(2)}/s ≥ 90% of ${limitRate}/s`)
  t.same(simulator.schemaViolations(), [])
})
