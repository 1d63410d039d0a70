import type { Sql } from '../db/client.ts'
import { isDatabaseUnavailable, isRetryableConflict } from '../db/unavailable.ts'
import { HubSpotError, HubSpotValidationError } from '../hubspot/errors.ts'
import { recordContacts } from '../store/contacts-table.ts'
import { settleRequests, type SettledRequests } from '../store/requests-table.ts'
import { finishEntries, releaseEntries, retryEntriesLater, type QueueEntry } from '../store/queue-table.ts'
import type { HubSpotClient } from '../hubspot/client.ts'
import { toWireProperties } from '../hubspot/contacts.ts'
import { sleep } from '../lib/waiting.ts'

/** What the sync needs of HubSpot: batch upsert keyed by email, one outcome per input. */
export type ContactUpserter = Pick<HubSpotClient, 'upsertByEmail'>

/** How one entry's sync ended. */
type EntryOutcome = { hubspotId: string, created: boolean } | { error: string }

export interface BatchResult {
  /** Set when HubSpot refused the token or its scopes: the sync must pause. */
  paused?: HubSpotError
}

export interface SyncBatchDeps {
  sql: Sql
  hubspot: ContactUpserter
  /** Persisted backoff of an entry after a transient failure, by its attempt count. */
  retryDelayMs: (attempts: number) => number
  onSettled: (emails: string[]) => void
  /** Told, after each commit, how many requests were synced and failed (for the stats and metrics). */
  onRequestsSettled: (settled: SettledRequests) => void
  /**
   * The database failed to record outcomes HubSpot gave: the wait before the next try (`attempt`
   * 1 after the first failure, `elapsedMs` since the first try), or undefined to give up (the
   * batch is then retried as if its call had failed).
   */
  settleRetryDelayMs: (attempt: number, elapsedMs: number, error: unknown) => number | undefined
  /** Aborted when this worker stops leading: no record is retried after that. */
  signal: AbortSignal
}

/**
 * Upserts one claimed batch and records every outcome. A whole-batch 400 is narrowed
 * down by halving, so one bad input fails alone and the others sync; when it names a
 * property the portal lacks, every input setting that property fails at once instead.
 */
export async function syncBatch (deps: SyncBatchDeps, entries: QueueEntry[]): Promise<BatchResult> {
  const result: BatchResult = {}

  async function settle (outcomes: Array<{ entry: QueueEntry, outcome: EntryOutcome }>) {
    const settled = await recordRetrying(() => deps.sql.begin(async (tx) => {
      const settledRequests = await settleRequests(tx, outcomes.map(({ entry, outcome }) => ({
        email: entry.email,
        claimedSeq: entry.claimedSeq,
        attempts: entry.attempts,
        status: 'error' in outcome ? 'failed' : 'synced',
        hubspotId: 'error' in outcome ? null : outcome.hubspotId,
        created: 'error' in outcome ? null : outcome.created,
        error: 'error' in outcome ? outcome.error : null
      })))
      await recordContacts(tx, outcomes.flatMap(({ entry, outcome }) => 'error' in outcome
        ? []
        : [{ email: entry.email, hubspotId: outcome.hubspotId, properties: { ...toWireProperties(entry.properties), email: entry.email } }]), 'sync')
      await finishEntries(tx, outcomes.map(({ entry }) => entry))
      return settledRequests
    }))
    deps.onSettled(outcomes.map(({ entry }) => entry.email))
    deps.onRequestsSettled(settled)
  }

  // HubSpot has these outcomes: a record that failed is tried again while the database
  // recovers. Thrown, it reaches upsert's catch, which sends the batch to HubSpot again later
  async function recordRetrying<T> (record: () => Promise<T>): Promise<T> {
    const firstTryAt = performance.now()
    for (let attempt = 1; ; attempt++) {
      try {
        return await record()
      } catch (error) {
        if (!isDatabaseUnavailable(error) && !isRetryableConflict(error)) throw error
        const waitMs = deps.settleRetryDelayMs(attempt, performance.now() - firstTryAt, error)
        if (waitMs === undefined || deps.signal.aborted) throw error
        await sleep(waitMs, deps.signal)
        if (deps.signal.aborted) throw error
      }
    }
  }

  async function upsert (part: QueueEntry[]): Promise<void> {
    if (result.paused) {
      await releaseEntries(deps.sql, part.map((e) => e.email))
      return
    }
    try {
      const outcomes = await deps.hubspot.upsertByEmail(part.map((e) => ({ email: e.email, properties: e.properties })))
      const settled: Array<{ entry: QueueEntry, outcome: EntryOutcome }> = []
      const transient: QueueEntry[] = []
      part.forEach((entry, index) => {
        const outcome = outcomes[index]
        if (outcome.ok) settled.push({ entry, outcome })
        else if (outcome.error.retryable) transient.push(entry)
        else settled.push({ entry, outcome: { error: outcome.error.message } })
      })
      await settle(settled)
      if (transient.length > 0) await retryLater(transient, new Error('HubSpot could not upsert these inputs this time'))
    } catch (error) {
      const kind = error instanceof HubSpotError ? error.kind : undefined
      // A property missing from the portal refuses every input that sets it: halving down to
      // each of them would cost about two calls per input, all of them errors HubSpot counts
      const missing = error instanceof HubSpotValidationError ? error.missingProperties : []
      const refused = part.filter((entry) => missing.some((name) => Object.hasOwn(entry.properties, name)))
      if (refused.length > 0) {
        const reason = `HubSpot has no contact propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')} (PROPERTY_DOESNT_EXIST): ` +
          `create ${missing.length === 1 ? 'it' : 'them'} in HubSpot or remove ${missing.length === 1 ? 'it' : 'them'} from CONTACT_PROPERTIES`
        await settle(refused.map((entry) => ({ entry, outcome: { error: reason } })))
        const rest = part.filter((entry) => !refused.includes(entry))
        if (rest.length > 0) await upsert(rest)
      } else if ((kind === 'validation' || kind === 'conflict') && part.length > 1) {
        const middle = Math.ceil(part.length / 2)
        await upsert(part.slice(0, middle))
        await upsert(part.slice(middle))
      } else if (kind === 'validation' || kind === 'conflict' || kind === 'not_found') {
        await settle([{ entry: part[0], outcome: { error: (error as Error).message } }])
      } else if (kind === 'auth' || kind === 'scopes') {
        result.paused = error as HubSpotError
        await releaseEntries(deps.sql, part.map((e) => e.email), (error as Error).message)
      } else {
        // Unavailable, rate-limited past the adapter's retries, or unexpected: wait and try again, never drop
        await retryLater(part, error as Error)
      }
    }
  }

  async function retryLater (part: QueueEntry[], error: Error & { retryAfterMs?: number }) {
    const waitMs = Math.max(deps.retryDelayMs(part[0].attempts), error.retryAfterMs ?? 0)
    await retryEntriesLater(deps.sql, part.map((e) => e.email), waitMs, error.message)
  }

  await upsert(entries)
  return result
}
