import t from 'tap'
import { createRateBudget, parseServerRateLimit } from '../../src/hubspot/rate-budget.ts'

/** Starts of granted requests, each answered after answerMs, relative to the first. */
async function grantTimes (budget: ReturnType<typeof createRateBudget>, requests: number, answerMs = 5): Promise<number[]> {
  const startedAt = performance.now()
  return Promise.all(Array.from({ length: requests }, async () => {
    const release = await budget.acquire()
    const grantedAt = performance.now() - startedAt
    setTimeout(release, answerMs)
    return grantedAt
  }))
}

t.test('no more than the budget within any window', async (t) => {
  const budget = createRateBudget({ requestsPerWindow: 5, windowMs: 200 })
  const times = (await grantTimes(budget, 15)).sort((a, b) => a - b)
  for (let index = 5; index < times.length; index++) {
    t.ok(times[index] - times[index - 5] >= 200, `request ${index} starts a full window after request ${index - 5}`)
  }
  t.ok(times[14] < 200 * 2 + 200, 'and it does not dawdle: three windows for three budgets')
})

t.test('slows down when HubSpot reports less remaining than our own use explains', async (t) => {
  const budget = createRateBudget({ requestsPerWindow: 10, windowMs: 300 })
  const release = await budget.acquire()
  release()
  // Someone else with the same token used 8 of HubSpot's 10: only one more fits.
  budget.observe({ max: 10, remaining: 1, intervalMs: 300 })
  const startedAt = performance.now()
  const times = await grantTimes(budget, 3)
  t.ok(times.filter((time) => time < 100).length <= 1, `granted at ${times.map(Math.round).join(', ')} ms: at most one at once`)
  t.ok(performance.now() - startedAt >= 250, 'the rest waited for the window to move')
})

t.test('HubSpot reporting a full window holds new requests until one of ours leaves it', async (t) => {
  const budget = createRateBudget({ requestsPerWindow: 10, windowMs: 200 })
  const release = await budget.acquire()
  release()
  budget.observe({ max: 10, remaining: 0, intervalMs: 200 })
  const [grantedAt] = await grantTimes(budget, 1)
  t.ok(grantedAt >= 150, `next request waited ${Math.round(grantedAt)} ms`)
})

t.test('parses the X-HubSpot-RateLimit headers; search answers have none', async (t) => {
  t.same(parseServerRateLimit({ 'x-hubspot-ratelimit-max': '190', 'x-hubspot-ratelimit-remaining': '12', 'x-hubspot-ratelimit-interval-milliseconds': '10000' }), { max: 190, remaining: 12, intervalMs: 10_000 })
  t.equal(parseServerRateLimit({}), undefined)
})

t.test('close refuses waiting callers', async (t) => {
  const budget = createRateBudget({ requestsPerWindow: 1, windowMs: 10_000 })
  await budget.acquire()
  const waiting = budget.acquire()
  budget.close()
  await t.rejects(waiting, /closed/)
})
