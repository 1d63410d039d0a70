import { test } from 'tap'
import {
  LATENCY_BUCKET_BOUNDS_MS, addLatencyCounts, bucketOf, emptyLatencyCounts, latencyQuantile
} from '../../src/lib/latency-histogram.ts'

function countsOf (latenciesMs: number[]): number[] {
  const counts = emptyLatencyCounts()
  for (const latency of latenciesMs) counts[bucketOf(latency)]++
  return counts
}

test('a latency falls in the first bucket whose upper bound holds it; past a day, in the open one', async (t) => {
  const cases: Array<[number, number]> = [
    [0, 0], [10, 0], [10.5, 1], [15, 1], [199, 8], [200, 8], [201, 9], [86_400_000, LATENCY_BUCKET_BOUNDS_MS.length - 1],
    [86_400_001, LATENCY_BUCKET_BOUNDS_MS.length], [Number.MAX_SAFE_INTEGER, LATENCY_BUCKET_BOUNDS_MS.length]
  ]
  for (const [latency, bucket] of cases) t.equal(bucketOf(latency), bucket, `${latency} ms → bucket ${bucket}`)
})

test('the bounds rise, so that a binary search finds the bucket', async (t) => {
  t.ok(LATENCY_BUCKET_BOUNDS_MS.every((bound, i) => i === 0 || bound > LATENCY_BUCKET_BOUNDS_MS[i - 1]))
})

test('quantiles come out of the counts, interpolated within their bucket', async (t) => {
  const cases: Array<{ name: string, latencies: number[], q: number, expected: number | null }> = [
    { name: 'no counts', latencies: [], q: 0.5, expected: null },
    { name: 'one latency in (150, 200]: the median is its bucket interpolated to the top', latencies: [180], q: 0.5, expected: 175 },
    { name: 'all in one bucket: p99 near its top', latencies: Array(100).fill(180), q: 0.99, expected: 200 },
    { name: 'half fast, half slow: the median in the fast bucket', latencies: [...Array(50).fill(5), ...Array(50).fill(4000)], q: 0.5, expected: 10 },
    { name: 'half fast, half slow: p99 in the slow bucket', latencies: [...Array(50).fill(5), ...Array(50).fill(4000)], q: 0.99, expected: 4960 },
    { name: 'past a day: reported as a day', latencies: [90_000_000], q: 0.99, expected: 86_400_000 }
  ]
  for (const { name, latencies, q, expected } of cases) t.equal(latencyQuantile(countsOf(latencies), q), expected, name)
})

test('counts from several places add up bucket by bucket; a shorter array counts as zeros', async (t) => {
  const sum = addLatencyCounts(countsOf([5, 180]), countsOf([180, 4000]))
  t.same(sum, countsOf([5, 180, 180, 4000]))
  t.same(addLatencyCounts(countsOf([5]), [1, 1]), countsOf([5, 5, 12]))
})
