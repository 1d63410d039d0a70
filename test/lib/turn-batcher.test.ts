import { test } from 'tap'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { createTurnBatcher } from '../../src/lib/turn-batcher.ts'

/** A run that records its groups and answers each when told to. */
function recordingRun () {
  const groups: number[][] = []
  const answers: Array<(error?: Error) => void> = []
  const run = (items: number[]) => new Promise<string[]>((resolve, reject) => {
    groups.push(items)
    answers.push((error) => error ? reject(error) : resolve(items.map((n) => `result ${n}`)))
  })
  return { run, groups, answers }
}

test('what is submitted in one turn goes as one group, each item getting its own result', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 2, maxGroup: 100 })
  const results = Promise.all([1, 2, 3].map((n) => batcher.submit(n)))
  await nextTurn()
  t.same(groups, [[1, 2, 3]])
  answers[0]()
  t.same(await results, ['result 1', 'result 2', 'result 3'])
})

test('at most maxInFlight groups are out; what arrives meanwhile goes together in the next', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100 })
  const first = batcher.submit(1)
  await nextTurn()
  const later = [2, 3, 4].map((n) => batcher.submit(n))
  await nextTurn()
  const last = batcher.submit(5)
  await nextTurn()
  t.same(groups, [[1]], 'nothing else is sent while the first group is out')
  answers[0]()
  await first
  await nextTurn()
  t.same(groups, [[1], [2, 3, 4, 5]])
  answers[1]()
  t.same(await Promise.all([...later, last]), ['result 2', 'result 3', 'result 4', 'result 5'])
})

test('a group holds at most maxGroup items', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 3, maxGroup: 2 })
  const results = Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)))
  await nextTurn()
  t.same(groups, [[1, 2], [3, 4], [5]])
  for (const answer of answers) answer()
  t.equal((await results).length, 5)
})

test('a failed group rejects its own items only; the next group still runs', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100 })
  const failing = [1, 2].map((n) => batcher.submit(n))
  await nextTurn()
  const next = batcher.submit(3)
  answers[0](new Error('connection lost'))
  for (const item of failing) await t.rejects(item, /connection lost/)
  await nextTurn()
  t.same(groups, [[1, 2], [3]])
  answers[1]()
  t.equal(await next, 'result 3')
})

test('an item withdrawn before its group is sent is never run; once sent it cannot be withdrawn', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100 })
  const sent = batcher.submit(1)
  await nextTurn()
  const kept = batcher.submit(2)
  const taken = batcher.submit(3)
  t.equal(batcher.withdraw(3, new Error('too late for the caller')), true)
  await t.rejects(taken, /too late for the caller/)
  t.equal(batcher.withdraw(1, new Error('no')), false, 'item 1 is already out')
  answers[0]()
  t.equal(await sent, 'result 1')
  await nextTurn()
  t.same(groups, [[1], [2]])
  answers[1]()
  t.equal(await kept, 'result 2')
})

test('lingering: once the slot is free, the next group waits for the callers the last one answered, and goes with them all', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100, lingerMs: 1000 })
  // Two halves taking turns: 1 and 2 out, 3 and 4 queued behind them
  const firstHalf = [1, 2].map((n) => batcher.submit(n))
  await nextTurn()
  const secondHalf = [3, 4].map((n) => batcher.submit(n))
  answers[0]()
  await Promise.all(firstHalf)
  await nextTurn()
  t.same(groups, [[1, 2]], 'the queued half waits for the answered half to come back')
  const back = [5, 6].map((n) => batcher.submit(n))
  await nextTurn()
  t.same(groups, [[1, 2], [3, 4, 5, 6]], 'and goes as soon as it has')
  answers[1]()
  t.same(await Promise.all([...secondHalf, ...back]), ['result 3', 'result 4', 'result 5', 'result 6'])
})

test('lingering is bounded: a group goes after lingerMs without the callers it waited for, and the next one does not wait', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100, lingerMs: 20 })
  const first = [1, 2].map((n) => batcher.submit(n))
  await nextTurn()
  const second = batcher.submit(3)
  answers[0]()
  await Promise.all(first)
  const lingerStart = performance.now()
  while (groups.length < 2) await nextTurn()
  t.ok(performance.now() - lingerStart >= 15, 'it waited about lingerMs')
  t.same(groups[1], [3])
  const third = batcher.submit(4)
  answers[1]()
  await second
  await nextTurn()
  await nextTurn()
  t.same(groups[2], [4], 'after a linger that ran out, the next group goes at once')
  answers[2]()
  t.equal(await third, 'result 4')
})

test('lingering: a lone caller (the last group held one, none queued) never waits', async (t) => {
  const { run, groups, answers } = recordingRun()
  const batcher = createTurnBatcher(run, { maxInFlight: 1, maxGroup: 100, lingerMs: 60_000 })
  const first = batcher.submit(1)
  await nextTurn()
  answers[0]()
  await first
  const second = batcher.submit(2)
  await nextTurn()
  t.same(groups, [[1], [2]])
  answers[1]()
  t.equal(await second, 'result 2')
})
