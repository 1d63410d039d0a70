import t from 'tap'
import { exponentialBackoffMs, type Backoff } from '../../src/lib/backoff.ts'

const FULL: Backoff = { baseMs: 100, maxMs: 1000, jitter: 'full' }
const EQUAL: Backoff = { ...FULL, jitter: 'equal' }

// [what, retry index, backoff, random(), wait]
const CASES: Array<[string, number, Backoff, number, number]> = [
  ['full, first retry, random 0: at once', 0, FULL, 0, 0],
  ['full, first retry, random 0.5: half the base', 0, FULL, 0.5, 50],
  ['full, first retry, random 1: the base', 0, FULL, 1, 100],
  ['equal, first retry, random 0: half the base', 0, EQUAL, 0, 50],
  ['equal, first retry, random 0.5: three quarters of the base', 0, EQUAL, 0.5, 75],
  ['equal, first retry, random 1: the base', 0, EQUAL, 1, 100],
  ['full, fourth retry: the ceiling is base · 2^3', 3, FULL, 1, 800],
  ['full, fourth retry, random 0.5', 3, FULL, 0.5, 400],
  ['equal, fourth retry, random 0: half of base · 2^3', 3, EQUAL, 0, 400],
  ['equal, fourth retry, random 0.5', 3, EQUAL, 0.5, 600],
  ['full, past the cap: the ceiling is maxMs', 4, FULL, 1, 1000],
  ['full, far past the cap, random 0.5', 30, FULL, 0.5, 500],
  ['equal, past the cap, random 0: half of maxMs', 4, EQUAL, 0, 500],
  ['equal, far past the cap, random 1: maxMs', 30, EQUAL, 1, 1000]
]

for (const [what, retryIndex, backoff, random, waitMs] of CASES) {
  t.test(what, async (t) => {
    t.equal(exponentialBackoffMs(retryIndex, backoff, () => random), waitMs)
  })
}

t.test('draws one random number per wait', async (t) => {
  let draws = 0
  exponentialBackoffMs(2, EQUAL, () => { draws++; return 0.3 })
  t.equal(draws, 1)
})
