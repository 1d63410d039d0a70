import t from 'tap'
import type { Backoff } from '../../src/lib/backoff.ts'
import { settleRetryDelayMs, type SettleRetryOptions } from '../../src/sync/settle-policy.ts'

const BACKOFF: Backoff = { baseMs: 250, maxMs: 5000, jitter: 'equal' }
const OPTIONS: SettleRetryOptions = { backoff: BACKOFF, giveUpAfterMs: 150_000 }

// [what, attempt, ms since the first try, random(), wait (undefined: give up)]
const CASES: Array<[string, number, number, number, number | undefined]> = [
  ['first failure, random 0: half the base', 1, 0, 0, 125],
  ['first failure, random 1: the base', 1, 0, 1, 250],
  ['third failure: the ceiling doubled twice', 3, 1000, 1, 1000],
  ['third failure, random 0: half that ceiling', 3, 1000, 0, 500],
  ['many failures: the ceiling stops at maxMs', 12, 60_000, 1, 5000],
  ['a wait that ends exactly at the deadline is still taken', 12, 145_000, 1, 5000],
  ['a wait that would end past the deadline: give up', 12, 145_001, 1, undefined],
  ['past the deadline already: give up, whatever the draw', 40, 150_001, 0, undefined]
]

for (const [what, attempt, elapsedMs, random, waitMs] of CASES) {
  t.test(what, async (t) => {
    t.equal(settleRetryDelayMs(attempt, elapsedMs, OPTIONS, () => random), waitMs)
  })
}
