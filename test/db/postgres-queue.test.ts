import { test } from 'tap'
import { createRequire } from 'node:module'

// postgres.js 3.4.9 keeps its pool's connections (open, busy) in queues that leave a slot behind
// on every shift; a queue that never empties grew by one slot per query, and removing a
// connection scanned them all: after a burst opened the whole pool, the CPU per query rose
// without end (16 → 56 µs over 160,000 queries). patches/postgres+3.4.9.patch fixes the queue;
// this checks that the installed copy (ESM and CommonJS) is the fixed one.
interface Queue<T> { length: number, push: (x: T) => T, shift: () => T | undefined, remove: (x: T) => T | null }
type QueueFactory = <T>() => Queue<T>

const esm = (await import(new URL('../../node_modules/postgres/src/queue.js', import.meta.url).href) as { default: QueueFactory }).default
const cjs = createRequire(import.meta.url)('../../node_modules/postgres/cjs/src/queue.js') as QueueFactory

for (const [name, Queue] of [['ESM', esm], ['CommonJS', cjs]] as const) {
  test(`postgres.js (${name}): a connection queue that never empties costs no more after 400,000 queries`, async (t) => {
    const queue = Queue<object>()
    const connections = [{}, {}, {}]
    for (const c of connections) queue.push(c)
    // A pool serving queries round-robin: take the first connection, give it back at the end
    for (let i = 0; i < 400_000; i++) queue.push(queue.shift()!)
    t.equal(queue.length, 3)

    // Moving a connection out of a queue it already left: what the pool does on every query.
    // The fastest of five rounds, so that a busy machine's pauses do not count.
    let fastestMs = Infinity
    for (let round = 0; round < 5; round++) {
      const started = performance.now()
      for (let i = 0; i < 1000; i++) queue.remove({})
      fastestMs = Math.min(fastestMs, performance.now() - started)
    }
    // Unpatched: each remove scans 400,000 slots (about 100 ms for the 1000); patched, 3
    t.ok(fastestMs < 20, `1000 removals took ${fastestMs.toFixed(1)} ms (the fastest of 5 rounds)`)

    t.equal(queue.remove(connections[1]), connections[1], 'a held connection is still found')
    t.same(new Set([queue.shift(), queue.shift()]), new Set([connections[0], connections[2]]), 'the others come out')
    t.equal(queue.length, 0)
  })
}
