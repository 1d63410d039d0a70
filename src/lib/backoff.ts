export type Backoff = {
  /** The first retry's ceiling; it doubles with each retry. */
  baseMs: number
  /** No ceiling grows past this. */
  maxMs: number
  /**
   * How much of the ceiling is random. 'full': uniform in [0, ceiling], which spreads
   * clients out the most but may retry at once; the HubSpot client's in-call retries use it,
   * since HubSpot's Retry-After or lock wait is their floor. 'equal': uniform in
   * [ceiling / 2, ceiling], which guarantees half the ceiling; the sync's persisted retries
   * use it, so that a failed batch never comes straight back to spend another attempt and
   * HubSpot call on an outage that has not passed.
   */
  jitter: 'full' | 'equal'
}

/**
 * Exponential backoff with jitter: the wait before retry `retryIndex` (0 for the first),
 * under a ceiling of min(maxMs, baseMs · 2^retryIndex); `random` is uniform in [0, 1].
 */
export function exponentialBackoffMs (retryIndex: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** retryIndex)
  const fixed = backoff.jitter === 'equal' ? ceiling / 2 : 0
  return fixed + random() * (ceiling - fixed)
}
