import type { Sql } from '../db/client.ts'
import type { HubSpotError } from '../hubspot/errors.ts'
import type { SyncEvents } from '../store/sync-events.ts'
import { claimEntries, dueBacklog, releaseAllLeases, releaseEntries, type QueueEntry } from '../store/queue-table.ts'
import { syncBatch, type ContactUpserter, type SyncBatchDeps } from './sync-batch.ts'
import { decideClaim, heavyBacklogSize, type ClaimWait } from './claim-policy.ts'
import { settleRetryDelayMs } from './settle-policy.ts'
import { exponentialBackoffMs, type Backoff } from '../lib/backoff.ts'
import { sleep } from '../lib/waiting.ts'

export interface SyncWorkerOptions {
  /** Inputs per HubSpot call (HubSpot's maximum is 100). */
  batchSize: number
  /** Batches out at HubSpot at once. */
  concurrency: number
  /** How long a partial batch may wait for more contacts before it is sent anyway. */
  lingerMs: number
  /** How long a claim is held before another worker may take it (a crashed process's claims come back). */
  leaseMs: number
  /** Fallback poll when no wake-up arrives (due retries, lost notifications). */
  idlePollMs: number
  /** While HubSpot refuses the token: how often to ask whether it accepts it again. */
  pauseCheckMs: number
  /** A failed batch's first retry waits up to this; the ceiling doubles with each attempt. */
  retryBaseMs: number
  /** The retry wait's ceiling never grows past this. */
  retryMaxMs: number
  /** On shutdown: how long a batch out at HubSpot may take before its claims are given back. */
  shutdownGraceMs: number
}

export const DEFAULT_SYNC_OPTIONS: SyncWorkerOptions = {
  batchSize: 100,
  concurrency: 4,
  lingerMs: 200,
  leaseMs: 5 * 60_000,
  idlePollMs: 1000,
  pauseCheckMs: 5000,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  shutdownGraceMs: 5000
}

// A database blip clears within seconds; a longer outage ends the leadership (its heartbeat) anyway
const SETTLE_RETRY_BACKOFF: Backoff = { baseMs: 250, maxMs: 5000, jitter: 'equal' }

export interface SyncWorkerDeps {
  sql: Sql
  hubspot: ContactUpserter & { checkConnection: () => Promise<{ ok: boolean }> }
  events: SyncEvents
  log: { info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
  /** Told when the sync pauses on a refused token (with the error) and when it resumes (undefined). */
  onPause: (error: HubSpotError | undefined) => void
  onRequestsSettled: SyncBatchDeps['onRequestsSettled']
  options: SyncWorkerOptions
}

/**
 * The leader's sync loop: lanes claim due batches and upsert them until leadership ends.
 * A refused token pauses every lane until HubSpot accepts it again.
 */
export async function runSyncWorker (deps: SyncWorkerDeps, leadership: AbortSignal): Promise<void> {
  const { sql, options, log } = deps
  // Equal jitter: a persisted retry waits at least half its ceiling (see Backoff)
  const retryBackoff: Backoff = { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs, jitter: 'equal' }
  // Recording a batch HubSpot accepted is retried for half the lease at most: see settleRetryDelayMs
  const settleRetry = { backoff: SETTLE_RETRY_BACKOFF, giveUpAfterMs: options.leaseMs / 2 }
  let paused: HubSpotError | undefined
  const resumed = new EventTarget()

  const released = await releaseAllLeases(sql)
  log.info({ released }, 'sync worker started')

  function pause (error: HubSpotError) {
    if (paused) return
    paused = error
    deps.onPause(error)
    log.warn({ kind: error.kind, status: error.status }, 'HubSpot refused the token: sync paused')
    watchForResume().catch((error: unknown) => log.error({ err: error }, 'watching for HubSpot to accept the token failed'))
  }

  async function watchForResume () {
    while (paused && !leadership.aborted) {
      await sleep(options.pauseCheckMs, leadership)
      const check = await deps.hubspot.checkConnection().catch(() => ({ ok: false }))
      if (check.ok) {
        paused = undefined
        deps.onPause(undefined)
        log.info({}, 'HubSpot accepts the token again: sync resumed')
        resumed.dispatchEvent(new Event('resume'))
      }
    }
  }

  const onResume = (listener: () => void) => {
    resumed.addEventListener('resume', listener)
    return () => resumed.removeEventListener('resume', listener)
  }

  // Lanes decide and claim one at a time, so two lanes never split one full batch
  let claimTurn = Promise.resolve()
  let lastDue = 0
  function claimNext (): Promise<QueueEntry[] | ClaimWait> {
    const turn = claimTurn.then(async () => {
      const backlog = await dueBacklog(sql, heavyBacklogSize(options))
      const decision = decideClaim({ ...backlog, lastDue, claimedCount: claimed.size }, options)
      // An empty queue says nothing of arrivals: filling is judged against the last look that found some
      if (backlog.due > 0) lastDue = backlog.due
      if (!decision.claim) return decision
      const entries = await claimEntries(sql, options.batchSize, options.leaseMs)
      for (const entry of entries) claimed.add(entry.email)
      return entries
    })
    claimTurn = turn.then(() => {}, () => {})
    return turn
  }

  async function lane () {
    while (!leadership.aborted) {
      if (paused) {
        await sleep(options.pauseCheckMs, leadership, onResume)
        continue
      }
      let entries: QueueEntry[] = []
      try {
        const next = await claimNext()
        if (!Array.isArray(next)) {
          await sleep(next.waitMs, leadership, next.idle ? deps.events.onQueued : undefined)
          continue
        }
        entries = next
        const result = await syncBatch({
          sql,
          hubspot: deps.hubspot,
          // attempts counts the claim that just failed: the first retry's is 1
          retryDelayMs: (attempts) => exponentialBackoffMs(attempts - 1, retryBackoff, Math.random),
          onSettled: deps.events.settled,
          onRequestsSettled: deps.onRequestsSettled,
          settleRetryDelayMs: (attempt, elapsedMs, error) => {
            const waitMs = settleRetryDelayMs(attempt, elapsedMs, settleRetry, Math.random)
            log.warn(
              { err: error, attempt, contacts: entries.length, retryInMs: waitMs === undefined ? null : Math.round(waitMs) },
              `could not record a synced batch: ${waitMs === undefined ? 'giving up, it will be sent again' : 'trying again'}`
            )
            return waitMs
          },
          signal: leadership
        }, entries)
        if (result.paused) pause(result.paused)
      } catch (error) {
        log.error({ err: error }, 'sync batch failed; its claims come back when their lease ends')
        await sleep(options.idlePollMs, leadership)
      } finally {
        for (const entry of entries) claimed.delete(entry.email)
      }
    }
  }

  // Emails of the batches out at HubSpot, given back if a shutdown cannot wait for them
  const claimed = new Set<string>()
  const lanes = Promise.all(Array.from({ length: options.concurrency }, lane))
  const lanesDone = new AbortController()
  // Lanes never reject (each catches its own errors); this only marks their end
  lanes.finally(() => lanesDone.abort()).catch(() => {})
  await new Promise<void>((resolve) => {
    if (leadership.aborted) resolve()
    else leadership.addEventListener('abort', () => resolve(), { once: true })
  })
  await sleep(options.shutdownGraceMs, lanesDone.signal)
  if (claimed.size > 0) {
    log.warn({ contacts: claimed.size }, 'giving back claims still out at HubSpot')
    await releaseEntries(sql, [...claimed]).catch((error: unknown) => log.error({ err: error }, 'could not give back claims; their lease will'))
  }
  log.info({}, 'sync worker stopped')
}
