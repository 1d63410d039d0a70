/**
 * Latencies kept as counts per bucket, so that counts from many processes and minutes add up
 * and percentiles come out of the sum: a bucket's upper bound in ms, log-spaced from 10 ms to a
 * day (each about 1.5× the last), the last bucket open-ended.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = [
  10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
  1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 45_000,
  60_000, 90_000, 120_000, 180_000, 300_000, 450_000, 600_000, 900_000, 1_200_000, 1_800_000, 2_700_000,
  3_600_000, 7_200_000, 14_400_000, 28_800_000, 57_600_000, 86_400_000
]

/** Counts per bucket: one more than the bounds, the last for anything past a day. */
export type LatencyCounts = number[]

export function emptyLatencyCounts (): LatencyCounts {
  return new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0)
}

export function bucketOf (latencyMs: number): number {
  let low = 0
  let high = LATENCY_BUCKET_BOUNDS_MS.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (latencyMs <= LATENCY_BUCKET_BOUNDS_MS[middle]) high = middle
    else low = middle + 1
  }
  return low
}

/** Adds `more` into `into`, bucket by bucket; a shorter array (an older layout) counts as zeros. */
export function addLatencyCounts (into: LatencyCounts, more: readonly number[]): LatencyCounts {
  for (let i = 0; i < into.length && i < more.length; i++) into[i] += Number(more[i])
  return into
}

/**
 * The q-quantile (0 < q ≤ 1) in ms, interpolated within its bucket (from 0 for the first, and
 * reported as the last bound for the open one); null without any count.
 */
export function latencyQuantile (counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total === 0) return null
  const rank = q * total
  let below = 0
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0 || below + counts[i] < rank) {
      below += counts[i]
      continue
    }
    if (i >= LATENCY_BUCKET_BOUNDS_MS.length) return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]
    const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1]
    const upper = LATENCY_BUCKET_BOUNDS_MS[i]
    return Math.round(lower + (upper - lower) * ((rank - below) / counts[i]))
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]
}
