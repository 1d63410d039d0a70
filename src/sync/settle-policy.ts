import { exponentialBackoffMs, type Backoff } from '../lib/backoff.ts'

export interface SettleRetryOptions {
  backoff: Backoff
  /** No retry starts later than this after the first try. */
  giveUpAfterMs: number
}

/**
 * HubSpot accepted a batch and the database failed to record it (a blip, a statement timed out
 * behind a lock, a deadlock): the wait before recording it again (`attempt` 1 after the first
 * failure, `elapsedMs` since the first try), or undefined to give up. Given up, the batch is sent to
 * HubSpot again after its retry wait (or, with the database still away, once its lease ends):
 * harmless, an upsert by email, but a call spent twice. `giveUpAfterMs` is kept well inside the
 * lease, so that no record is written after another claim.
 */
export function settleRetryDelayMs (attempt: number, elapsedMs: number, options: SettleRetryOptions, random: () => number): number | undefined {
  const waitMs = exponentialBackoffMs(attempt - 1, options.backoff, random)
  return elapsedMs + waitMs > options.giveUpAfterMs ? undefined : waitMs
}
