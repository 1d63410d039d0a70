import t from 'tap'
import { decideClaim, heavyBacklogSize, type BacklogView, type ClaimDecision } from '../../src/sync/claim-policy.ts'

const OPTIONS = { batchSize: 100, lingerMs: 200, idlePollMs: 1000 }
const CLAIM: ClaimDecision = { claim: true }
const wait = (waitMs: number): ClaimDecision => ({ claim: false, waitMs, idle: false })

// [what, what the lane sees, the decision, options when not OPTIONS]
const CASES: Array<[string, BacklogView, ClaimDecision, typeof OPTIONS?]> = [
  ['empty queue: an idle wait, whatever is out', { due: 0, oldestMs: 0, lastDue: 40, claimedCount: 100 }, { claim: false, waitMs: 1000, idle: true }],
  ['heavy backlog: claim now, lingering or not, batches out or not', { due: 300, oldestMs: 0, lastDue: 0, claimedCount: 100 }, CLAIM],
  ['one short of heavy and young: it lingers', { due: 299, oldestMs: 0, lastDue: 0, claimedCount: 0 }, wait(200)],
  ['aged and full: claim, even while filling and with batches out', { due: 100, oldestMs: 200, lastDue: 50, claimedCount: 100 }, CLAIM],
  ['aged, partial, stopped filling, nothing out: claim', { due: 30, oldestMs: 250, lastDue: 30, claimedCount: 0 }, CLAIM],
  ['aged, partial, fewer than last look, nothing out: claim', { due: 20, oldestMs: 250, lastDue: 30, claimedCount: 0 }, CLAIM],
  ['aged, partial, still filling, nothing out: look again soon', { due: 40, oldestMs: 250, lastDue: 30, claimedCount: 0 }, wait(10)],
  ['aged, partial, still filling, batches out: wait a linger', { due: 40, oldestMs: 250, lastDue: 30, claimedCount: 100 }, wait(200)],
  ['aged, partial, stopped filling, batches out: wait a linger', { due: 30, oldestMs: 250, lastDue: 30, claimedCount: 1 }, wait(200)],
  ['not aged: wait the rest of the linger', { due: 30, oldestMs: 50, lastDue: 30, claimedCount: 0 }, wait(150)],
  ['not aged, full: still waits the rest of the linger', { due: 100, oldestMs: 120, lastDue: 0, claimedCount: 0 }, wait(80)],
  ['the rest of the linger is floored at 10 ms', { due: 30, oldestMs: 195, lastDue: 30, claimedCount: 0 }, wait(10)],
  ['a linger shorter than 10 ms is floored too', { due: 30, oldestMs: 5, lastDue: 30, claimedCount: 1 }, wait(10), { ...OPTIONS, lingerMs: 5 }],
  ['filling for 4 lingers, nothing out: claim anyway', { due: 40, oldestMs: 800, lastDue: 30, claimedCount: 0 }, CLAIM],
  ['filling for just under 4 lingers: still filling', { due: 40, oldestMs: 799, lastDue: 30, claimedCount: 0 }, wait(10)],
  ['filling for 4 lingers, batches out: wait a linger', { due: 40, oldestMs: 800, lastDue: 30, claimedCount: 100 }, wait(200)]
]

for (const [what, backlog, decision, options = OPTIONS] of CASES) {
  t.test(what, async (t) => {
    t.same(decideClaim(backlog, options), decision)
  })
}

t.test('a heavy backlog is 3 full batches: the queue need not be counted further', async (t) => {
  t.equal(heavyBacklogSize({ batchSize: 100 }), 300)
  t.equal(heavyBacklogSize({ batchSize: 10 }), 30)
})
