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
