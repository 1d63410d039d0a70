import t from 'tap'
import { HubSpotBusyError } from '../../src/hubspot/errors.ts'
import {
  createRateBudget, lookupCap, lookupRetryAfterMs, mayGrant, parseServerRateLimit,
  type BudgetView, type RateBudgetOptions, type RequestPriority
} from '../../src/hubspot/rate-budget.ts'

/** A budget whose lookups may take everything and wait long, unless the test says otherwise. */
function budgetOf (options: Pick<RateBudgetOptions, 'requestsPerWindow' | 'windowMs'> & Partial<RateBudgetOptions>) {
  return createRateBudget({ lookupShare: 1, lookupWaitMs: 60_000, ...options })
}

/** Starts of granted requests, each answered after answerMs, relative to the first. */
async function grantTimes (budget: ReturnType<typeof createRateBudget>, requests: number, answerMs = 5, priority: RequestPriority = 'sync'): Promise<number[]> {
  const startedAt = performance.now()
  return Promise.all(Array.from({ length: requests }, async () => {
    const release = await budget.acquire(priority)
    const grantedAt = performance.now() - startedAt
    setTimeout(release, answerMs)
    return grantedAt
  }))
}

t.test('no more than the budget within any window', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 5, windowMs: 200 })
  const times = (await grantTimes(budget, 15)).sort((a, b) => a - b)
  for (let index = 5; index < times.length; index++) {
    t.ok(times[index] - times[index - 5] >= 200, `request ${index} starts a full window after request ${index - 5}`)
  }
  t.ok(times[14] < 200 * 2 + 200, 'and it does not dawdle: three windows for three budgets')
})

t.test('slows down when HubSpot reports less remaining than our own use explains', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 300 })
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
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 200 })
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
  const budget = budgetOf({ requestsPerWindow: 1, windowMs: 10_000 })
  await budget.acquire()
  const waiting = budget.acquire()
  budget.close()
  await t.rejects(waiting, /closed/)
})

/** A moment of a 10-request window of 10 s: empty, no pause, lookups' cap 2. */
function view (overrides: Partial<BudgetView> = {}): BudgetView {
  return {
    at: 100_000,
    windowMs: 10_000,
    limit: 10,
    lookupCap: 2,
    pausedUntil: 0,
    all: { inFlight: 0, completedAt: [] },
    lookups: { inFlight: 0, completedAt: [] },
    syncWaiting: false,
    ...overrides
  }
}

t.test('lookups\' cap: HUBSPOT_LOOKUP_SHARE of the budget, rounded down', async (t) => {
  const rows: Array<[requests: number, share: number, cap: number]> = [[100, 0.2, 20], [190, 0.3, 57], [100, 0, 0], [100, 1, 100], [10, 0.15, 1], [4, 0.2, 0]]
  for (const [requests, share, cap] of rows) t.equal(lookupCap(requests, share), cap, `${share} of ${requests}`)
})

t.test('may this class be granted now?', async (t) => {
  const full = { inFlight: 4, completedAt: [95_000, 96_000, 97_000, 98_000, 99_000, 99_500] }
  const rows: Array<[what: string, priority: RequestPriority, view: BudgetView, granted: boolean]> = [
    ['sync, empty window', 'sync', view(), true],
    ['sync, window full', 'sync', view({ all: full }), false],
    ['sync, paused by a 429', 'sync', view({ pausedUntil: 100_001 }), false],
    ['sync, the pause just over', 'sync', view({ pausedUntil: 100_000 }), true],
    ['sync, lookups at their cap: the rest of the window is the sync\'s', 'sync', view({ all: { inFlight: 2, completedAt: [] }, lookups: { inFlight: 2, completedAt: [] } }), true],
    ['sync, HubSpot reports another consumer: our limit shrunk to 3, 3 held', 'sync', view({ limit: 3, all: { inFlight: 1, completedAt: [99_000, 99_100] } }), false],
    ['lookup, under its cap', 'lookup', view({ lookups: { inFlight: 0, completedAt: [99_000] }, all: { inFlight: 0, completedAt: [99_000] } }), true],
    ['lookup, at its cap (one in flight, one answered)', 'lookup', view({ lookups: { inFlight: 1, completedAt: [99_000] }, all: { inFlight: 1, completedAt: [99_000] } }), false],
    ['lookup, a sync call waiting', 'lookup', view({ syncWaiting: true }), false],
    ['lookup, window full of sync calls', 'lookup', view({ all: full }), false],
    ['lookup, paused by a 429', 'lookup', view({ pausedUntil: 100_500 }), false],
    ['lookup, no share (HUBSPOT_LOOKUP_SHARE=0)', 'lookup', view({ lookupCap: 0 }), false]
  ]
  for (const [what, priority, moment, granted] of rows) t.equal(mayGrant(priority, moment), granted, what)
})

t.test('Retry-After of a refused lookup: until its next slot, whole seconds, at least one', async (t) => {
  const rows: Array<[what: string, view: BudgetView, retryAfterMs: number]> = [
    ['a slot is free', view(), 1000],
    ['paused 2.5 s more', view({ pausedUntil: 102_500 }), 3000],
    ['at the cap, the older lookup answered 4.2 s ago', view({ lookups: { inFlight: 0, completedAt: [95_800, 99_000] }, all: { inFlight: 0, completedAt: [95_800, 99_000] } }), 6000],
    ['at the cap, both lookups still out: a window at least', view({ lookups: { inFlight: 2, completedAt: [] }, all: { inFlight: 2, completedAt: [] } }), 10_000],
    ['window full, its oldest answer leaves in 0.5 s', view({ all: { inFlight: 0, completedAt: [90_500, ...Array(9).fill(99_000)] } }), 1000],
    ['at the cap and paused longer', view({ pausedUntil: 107_001, lookups: { inFlight: 0, completedAt: [95_800, 99_000] }, all: { inFlight: 0, completedAt: [95_800, 99_000] } }), 8000],
    ['no share: a window', view({ lookupCap: 0 }), 10_000]
  ]
  for (const [what, moment, retryAfterMs] of rows) t.equal(lookupRetryAfterMs(moment), retryAfterMs, what)
})

t.test('lookups together take at most their share; the sync takes the rest at once', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 300, lookupShare: 0.3 })
  const [lookups, syncs] = await Promise.all([grantTimes(budget, 6, 5, 'lookup'), grantTimes(budget, 7, 5, 'sync')])
  const prompt = (times: number[]) => times.filter((time) => time < 100).length
  t.equal(prompt(lookups), 3, `lookups granted at ${lookups.map(Math.round).join(', ')} ms: 3 of 6 at once`)
  t.ok(lookups.sort((a, b) => a - b)[3] >= 280, 'the 4th lookup waited for the window to move')
  t.equal(prompt(syncs), 7, 'all 7 sync calls at once beside them')
  budget.close()
})

t.test('the sync may use the whole budget when lookups don\'t', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 300, lookupShare: 0.3 })
  const times = await grantTimes(budget, 10)
  t.ok(times.every((time) => time < 100), `10 of 10 at once (${times.map(Math.round).join(', ')} ms)`)
})

t.test('waiting sync calls are granted before waiting lookups, whatever came first', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 3, windowMs: 200 })
  await grantTimes(budget, 3)
  const order: string[] = []
  const take = async (name: string, priority: RequestPriority) => {
    const release = await budget.acquire(priority)
    order.push(name)
    release()
  }
  await Promise.all([take('lookup 1', 'lookup'), take('lookup 2', 'lookup'), take('sync 1', 'sync'), take('lookup 3', 'lookup'), take('sync 2', 'sync')])
  t.same(order, ['sync 1', 'sync 2', 'lookup 1', 'lookup 2', 'lookup 3'])
})

t.test('a lookup without a slot by its deadline is refused in time, leaves the queue, and leaves no timer', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 200, lookupShare: 0.2, lookupWaitMs: 150 })
  const held = [await budget.acquire('lookup'), await budget.acquire('lookup')]
  const idleTimers = timers()
  const startedAt = performance.now()
  const error = await t.rejects(budget.acquire('lookup')) as HubSpotBusyError
  const waitedMs = performance.now() - startedAt
  t.type(error, HubSpotBusyError)
  t.match(error, { kind: 'rate_limit', retryable: true, retryAfterMs: 1000, message: /lookup/ })
  t.ok(waitedMs >= 140 && waitedMs < 400, `refused after ${Math.round(waitedMs)} ms (deadline 150)`)
  t.equal(timers(), idleTimers, 'no timer left behind')

  for (const release of held) release()
  await new Promise((resolve) => setTimeout(resolve, 250))
  // Had the refused lookup stayed in the queue, it would have taken one of the two slots freed by now
  const times = await grantTimes(budget, 2, 5, 'lookup')
  t.ok(times.every((time) => time < 50), `both new lookups granted at once (${times.map(Math.round).join(', ')} ms)`)
})

t.test('no share: a lookup is refused at once, the sync is not', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 10, windowMs: 200, lookupShare: 0 })
  const startedAt = performance.now()
  await t.rejects(budget.acquire('lookup'), HubSpotBusyError)
  t.ok(performance.now() - startedAt < 50, 'at once')
  ;(await budget.acquire('sync'))()
})

t.test('a pause (429) holds every class until it ends', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 100, windowMs: 1000, lookupWaitMs: 1000 })
  const startedAt = performance.now()
  budget.pauseUntil(Date.now() + 300)
  budget.pauseUntil(Date.now() + 100) // a shorter pause does not cut the longer one
  const [syncs, lookups] = await Promise.all([grantTimes(budget, 3), grantTimes(budget, 3, 5, 'lookup')])
  const granted = [...syncs, ...lookups]
  t.ok(granted.every((time) => time >= 290), `nothing granted before the pause ended: ${granted.map(Math.round).join(', ')} ms`)
  t.ok(Math.max(...granted) < 600, 'and all at once after it')
  t.ok(performance.now() - startedAt >= 290)
})

t.test('a lookup whose deadline falls within the pause is refused, with Retry-After until the pause ends', async (t) => {
  const budget = budgetOf({ requestsPerWindow: 100, windowMs: 1000, lookupWaitMs: 100 })
  budget.pauseUntil(Date.now() + 2600)
  const error = await t.rejects(budget.acquire('lookup')) as HubSpotBusyError
  t.equal(error.retryAfterMs, 3000, 'the pause\'s 2.5 s left, rounded up')
  budget.close()
})

t.test('close refuses waiting lookups too and clears their deadlines', async (t) => {
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length
  const idleTimers = timers()
  const budget = budgetOf({ requestsPerWindow: 1, windowMs: 10_000 })
  await budget.acquire()
  const waiting = [budget.acquire('lookup'), budget.acquire('sync')]
  budget.close()
  for (const refused of waiting) await t.rejects(refused, /closed/)
  t.equal(timers(), idleTimers)
})
